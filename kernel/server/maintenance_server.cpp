#include "maintenance_server.h"

#include <boost/asio/post.hpp>

#include "propose_reply.h"
#include "request_auth.h"
#include "snapshot_stream.h"
#include "unimplemented_stream.h"

namespace cairn::server {
namespace {

Status notImplemented(const char* method) {
  return Status(StatusCode::Unimplemented, std::string("etcdserverpb.Maintenance.") + method +
                                               " is not implemented in this Cairn build");
}

}  // namespace

void MaintenanceServer::status(const RequestContext& ctx, const etcdserverpb::StatusRequest& req,
                               Done<etcdserverpb::StatusResponse> done) {
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  reads_.serializable([this, done = std::move(done)](const Status& gate) {
    etcdserverpb::StatusResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    *resp.mutable_header() = cluster_.currentHeader();
    resp.set_version(kEtcdServerVersion);
    resp.set_dbsize(static_cast<int64_t>(backend_.sizeAllocated()));
    resp.set_dbsizeinuse(static_cast<int64_t>(backend_.sizeInUse()));
    resp.set_leader(raft_.leader());
    resp.set_raftindex(raft_.committedIndex());
    resp.set_raftterm(raft_.term());
    resp.set_raftappliedindex(appliedIndex_());
    bool learner = false;
    for (const MemberInfo& m : cluster_.members()) {
      if (m.id == cluster_.memberId()) learner = m.isLearner;
    }
    resp.set_islearner(learner);
    done(Status::ok(), std::move(resp));
  });
}

void MaintenanceServer::defragment(const RequestContext& ctx,
                                   const etcdserverpb::DefragmentRequest& req,
                                   Done<etcdserverpb::DefragmentResponse> done) {
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  std::unique_lock lk(mu_);
  if (stopped_) {
    lk.unlock();
    done(Status(Error::Stopped), {});
    return;
  }
  boost::asio::post(defragPool_, [this, done = std::move(done)] {
    logger_.info("server/maintenance_server.cpp", "starting defragment");
    etcdserverpb::DefragmentResponse resp;
    if (Status st = backend_.defragment(); !st) {
      logger_.warn("server/maintenance_server.cpp", "failed to defragment",
                   jsonField("error", st.message()));
      done(st, std::move(resp));
      return;
    }
    logger_.info("server/maintenance_server.cpp", "finished defragment");
    // etcd answers a defragmentation with an empty response: no header.
    done(Status::ok(), std::move(resp));
  });
}

void MaintenanceServer::alarm(const RequestContext& ctx, const etcdserverpb::AlarmRequest& req,
                              Done<etcdserverpb::AlarmResponse> done) {
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(authorizer_, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  // Every action, GET included, is a raft entry, as etcd's: the answer is
  // the alarms as of that point in the log.
  *ir.mutable_alarm() = req;
  proposeAndReply<etcdserverpb::AlarmResponse>(
      raft_, std::move(ir),
      [done = std::move(done)](Status st, etcdserverpb::AlarmResponse&& resp) {
        // etcd's Alarm answer carries no header at all.
        resp.clear_header();
        done(std::move(st), std::move(resp));
      });
}

void MaintenanceServer::hash(const RequestContext& ctx, const etcdserverpb::HashRequest& req,
                             Done<etcdserverpb::HashResponse> done) {
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  reads_.serializable([this, done = std::move(done)](const Status& gate) {
    etcdserverpb::HashResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    mvcc::KvStore::KvHash h;
    if (Status st = store_.hash(&h); !st) {
      done(st, std::move(resp));
      return;
    }
    *resp.mutable_header() = cluster_.currentHeader();
    resp.mutable_header()->set_revision(h.currentRev);
    resp.set_hash(h.hash);
    done(Status::ok(), std::move(resp));
  });
}

void MaintenanceServer::hashKv(const RequestContext& ctx, const etcdserverpb::HashKVRequest& req,
                               Done<etcdserverpb::HashKVResponse> done) {
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  // A local answer, as etcd's: each member hashes its own store.
  reads_.serializable([this, rev = req.revision(), done = std::move(done)](const Status& gate) {
    etcdserverpb::HashKVResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    mvcc::KvStore::KvHash h;
    if (Status st = store_.hashKv(rev, &h); !st) {
      done(st, std::move(resp));
      return;
    }
    *resp.mutable_header() = cluster_.currentHeader();
    resp.mutable_header()->set_revision(h.currentRev);
    resp.set_hash(h.hash);
    resp.set_compact_revision(h.compactRev);
    done(Status::ok(), std::move(resp));
  });
}

void MaintenanceServer::moveLeader(const RequestContext& /*ctx*/,
                                   const etcdserverpb::MoveLeaderRequest& /*req*/,
                                   Done<etcdserverpb::MoveLeaderResponse> done) {
  done(notImplemented("MoveLeader"), {});
}

std::unique_ptr<StreamCall> MaintenanceServer::snapshot(const RequestContext& ctx,
                                                        std::function<void()> onReady) {
  // Admin only, as etcd's authMaintenanceServer; a refusal ends the stream
  // once the request arrived.
  if (Status st = authorizeRequest(authorizer_, ctx, etcdserverpb::SnapshotRequest(), nullptr);
      !st) {
    return std::make_unique<UnimplementedStream>(st, std::move(onReady));
  }
  return std::make_unique<SnapshotStream>(backend_, snapDir_, logger_, std::move(onReady));
}

}  // namespace cairn::server
