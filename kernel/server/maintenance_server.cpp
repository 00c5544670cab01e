#include "maintenance_server.h"

#include <boost/asio/post.hpp>
#include <thread>
#include <type_traits>

#include "member_ids.h"
#include "plugin/refused_stream_call.h"
#include "propose_reply.h"
#include "request_auth.h"
#include "snapshot_stream.h"

namespace cairn::server {

// etcd's interceptor checks, then the authorizer, as every call here starts.
Status MaintenanceServer::admit(const RequestContext& ctx,
                                const google::protobuf::Message& req) const {
  if (Status st = gate_.admit(ctx); !st) return st;
  return authorizeRequest(authorizer_, ctx, req, nullptr);
}

// Status, Hash and HashKV are answered from this member's own state, as
// etcd's are: authorized first, then built once the read gate lets
// serializable reads through.
template <typename Req, typename Resp>
void MaintenanceServer::answerLocally(const RequestContext& ctx, const Req& req, Done<Resp> done,
                                      std::function<Status(Resp*)> fill) {
  // Of the three, a learner answers only Status, as etcd's.
  constexpr bool kLearnerServes = std::is_same_v<Req, etcdserverpb::StatusRequest>;
  if (Status st = kLearnerServes ? gate_.admitOnLearner(ctx) : gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  reads_.serializable([done = std::move(done), fill = std::move(fill)](const Status& gate) {
    Resp resp;
    Status st = gate ? fill(&resp) : gate;
    done(st, std::move(resp));
  });
}

void MaintenanceServer::status(const RequestContext& ctx, const etcdserverpb::StatusRequest& req,
                               Done<etcdserverpb::StatusResponse> done) {
  answerLocally<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse>(
      ctx, req, std::move(done), [this](etcdserverpb::StatusResponse* resp) {
        *resp->mutable_header() = cluster_.currentHeader();
        resp->set_version(kEtcdServerVersion);
        resp->set_dbsize(static_cast<int64_t>(backend_.sizeAllocated()));
        resp->set_dbsizeinuse(static_cast<int64_t>(backend_.sizeInUse()));
        resp->set_leader(raft_.leader());
        resp->set_raftindex(raft_.committedIndex());
        resp->set_raftterm(raft_.term());
        resp->set_raftappliedindex(appliedIndex_());
        resp->set_islearner(cluster_.selfIsLearner());
        return Status::ok();
      });
}

void MaintenanceServer::defragment(const RequestContext& ctx,
                                   const etcdserverpb::DefragmentRequest& req,
                                   Done<etcdserverpb::DefragmentResponse> done) {
  if (Status st = admit(ctx, req); !st) {
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
  if (Status st = gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
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
  answerLocally<etcdserverpb::HashRequest, etcdserverpb::HashResponse>(
      ctx, req, std::move(done), [this](etcdserverpb::HashResponse* resp) {
        mvcc::KvStore::KvHash h;
        if (Status st = store_.hash(&h); !st) return st;
        *resp->mutable_header() = cluster_.currentHeader();
        resp->mutable_header()->set_revision(h.currentRev);
        resp->set_hash(h.hash);
        return Status::ok();
      });
}

void MaintenanceServer::hashKv(const RequestContext& ctx, const etcdserverpb::HashKVRequest& req,
                               Done<etcdserverpb::HashKVResponse> done) {
  // Each member hashes its own store, as etcd's does.
  answerLocally<etcdserverpb::HashKVRequest, etcdserverpb::HashKVResponse>(
      ctx, req, std::move(done), [this, rev = req.revision()](etcdserverpb::HashKVResponse* resp) {
        mvcc::KvStore::KvHash h;
        if (Status st = store_.hashKv(rev, &h); !st) return st;
        *resp->mutable_header() = cluster_.currentHeader();
        resp->mutable_header()->set_revision(h.currentRev);
        resp->set_hash(h.hash);
        resp->set_compact_revision(h.compactRev);
        return Status::ok();
      });
}

void MaintenanceServer::moveLeader(const RequestContext& ctx,
                                   const etcdserverpb::MoveLeaderRequest& req,
                                   Done<etcdserverpb::MoveLeaderResponse> done) {
  if (Status st = admit(ctx, req); !st) {
    done(st, {});
    return;
  }
  // As etcd: only the leader moves leadership, to a voting member.
  if (!raft_.isLeader()) {
    done(Status(Error::NotLeader), {});
    return;
  }
  const uint64_t target = req.targetid();
  bool voter = false;
  for (const MemberInfo& m : cluster_.members()) {
    if (m.id == target && !m.isLearner) voter = true;
  }
  if (!voter) {
    done(Status(Error::BadLeaderTransferee), {});
    return;
  }
  std::unique_lock lk(mu_);
  if (stopped_) {
    lk.unlock();
    done(Status(Error::Stopped), {});
    return;
  }
  // etcd waits for the client's deadline; without one Cairn gives up after
  // kMoveLeaderWait rather than hold the call forever.
  const auto deadline = std::min(ctx.deadline, std::chrono::steady_clock::now() + kMoveLeaderWait);
  logger_.info("server/maintenance_server.cpp", "leadership transfer starting",
               jsonField("current-leader-member-id", idToHex(raft_.memberId())) + "," +
                   jsonField("transferee-member-id", idToHex(target)));
  raft_.transferLeadership(target);
  boost::asio::post(
      leaderPool_, [this, target, deadline, cancel = ctx.cancel, done = std::move(done)] {
        while (raft_.leader() != target) {
          if (std::chrono::steady_clock::now() >= deadline || (cancel && cancel->cancelled())) {
            done(Status(Error::TimeoutLeaderTransfer), {});
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        logger_.info("server/maintenance_server.cpp", "leadership transfer finished",
                     jsonField("transferee-member-id", idToHex(target)));
        done(Status::ok(), etcdserverpb::MoveLeaderResponse());
      });
}

std::unique_ptr<StreamCall> MaintenanceServer::snapshot(const RequestContext& ctx,
                                                        std::function<void()> onReady) {
  if (Status st = gate_.admit(ctx); !st) {
    return std::make_unique<plugin::RefusedStreamCall>(st, std::move(onReady));
  }
  // Admin only, as etcd's authMaintenanceServer; a refusal ends the stream
  // once the request arrived.
  if (Status st = authorizeRequest(authorizer_, ctx, etcdserverpb::SnapshotRequest(), nullptr);
      !st) {
    return std::make_unique<plugin::RefusedStreamCall>(st, std::move(onReady));
  }
  return std::make_unique<SnapshotStream>(backend_, snapDir_, logger_, std::move(onReady));
}

}  // namespace cairn::server
