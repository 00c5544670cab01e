#include "lease_server.h"

#include <memory>
#include <mutex>

#include "cairn/errors.h"
#include "lease/lease.h"
#include "lease_auth.h"
#include "propose_reply.h"
#include "request_auth.h"

namespace cairn::server {
namespace {

// The answer to one keep-alive message of a stream that requires a leader:
// either the renewal's, or "no leader" when the LeaderMonitor gives up on
// the leader first (etcd's monitorLeader cancels such a stream while its
// renewal is still waiting for a leader). Whichever comes first answers;
// the other is dropped. `done` is called outside mu_, so neither side
// holds this lock while the monitor's or the reactor's is taken.
class LeaderBoundAnswer {
 public:
  using KeepAliveDone = Done<etcdserverpb::LeaseKeepAliveResponse>;

  static KeepAliveDone wrap(LeaderMonitor& monitor, KeepAliveDone done) {
    auto self = std::make_shared<LeaderBoundAnswer>(monitor, std::move(done));
    // Watched before the renewal starts, so the token is known to any answer.
    self->token_ = monitor.watch([self](const Status& lost) { self->finish(lost, {}, false); });
    return [self](Status st, etcdserverpb::LeaseKeepAliveResponse&& resp) {
      self->finish(st, std::move(resp), true);
    };
  }

  LeaderBoundAnswer(LeaderMonitor& monitor, KeepAliveDone done)
      : monitor_(monitor), done_(std::move(done)) {}

 private:
  void finish(const Status& st, etcdserverpb::LeaseKeepAliveResponse&& resp, bool fromRenewal) {
    KeepAliveDone done;
    {
      std::lock_guard lk(mu_);
      if (!done_) return;
      done = std::move(done_);
      done_ = nullptr;
    }
    // The monitor forgets what it ended; a renewal's answer unwatches.
    if (fromRenewal) monitor_.unwatch(token_);
    done(st, std::move(resp));
  }

  LeaderMonitor& monitor_;
  uint64_t token_ = 0;  // set once, before the renewal can answer
  std::mutex mu_;
  KeepAliveDone done_;  // guarded by mu_; empty once answered
};

}  // namespace

void LeaseServer::grant(const RequestContext& ctx, const etcdserverpb::LeaseGrantRequest& req,
                        Done<etcdserverpb::LeaseGrantResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  // etcd's quota check runs first, in front of its lease server.
  if (!c_.quota.fits(req)) {
    c_.quota.refuse([done = std::move(done)](Status st) { done(st, {}); });
    return;
  }
  // Checked before raft, as etcd's v3 server does.
  if (req.ttl() > lease::kMaxLeaseTtl) {
    done(Status(Error::LeaseTtlTooLarge), {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  *ir.mutable_lease_grant() = req;
  // No id given: the member picks one from its request id generator, kept
  // positive as etcd keeps it. Chosen here, not when applied, so every
  // member applies the same id.
  while (ir.lease_grant().id() == lease::kNoLease) {
    ir.mutable_lease_grant()->set_id(static_cast<int64_t>(c_.raft.nextId() & ((1ULL << 63) - 1)));
  }
  proposeAndReply<etcdserverpb::LeaseGrantResponse>(c_.raft, std::move(ir), std::move(done));
}

void LeaseServer::revoke(const RequestContext& ctx, const etcdserverpb::LeaseRevokeRequest& req,
                         Done<etcdserverpb::LeaseRevokeResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  if (!ctx.trusted) {
    // Revoking deletes the lease's keys: write permission on each.
    const AuthInfo who{ir.header().username(), ir.header().auth_revision()};
    if (Status st = authorizeLeaseKeys(c_.authorizer, who, c_.lessor, req.id(), true); !st) {
      done(st, {});
      return;
    }
  }
  *ir.mutable_lease_revoke() = req;
  proposeAndReply<etcdserverpb::LeaseRevokeResponse>(c_.raft, std::move(ir), std::move(done));
}

void LeaseServer::keepAlive(const RequestContext& ctx,
                            const etcdserverpb::LeaseKeepAliveRequest& req,
                            Done<etcdserverpb::LeaseKeepAliveResponse> done) {
  if (Status st = c_.gate.admitStreamMessage(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  const int64_t id = req.id();
  if (ctx.requireLeader && !ctx.trusted && c_.leaderMonitor != nullptr) {
    done = LeaderBoundAnswer::wrap(*c_.leaderMonitor, std::move(done));
  }
  // On the read pool, so `done` never runs on the caller's (gRPC) thread.
  c_.reads.serializable([this, id, done = std::move(done)](const Status& gate) mutable {
    if (!gate) {
      done(gate, {});
      return;
    }
    auto answer = [&cluster = c_.cluster, id, done = std::move(done)](const Status& st,
                                                                      int64_t ttl) {
      etcdserverpb::LeaseKeepAliveResponse resp;
      // etcd's stream answers an unknown (or just revoked) lease with TTL 0
      // and keeps going; any other error ends the stream.
      if (!st && !st.is(Error::LeaseNotFound)) {
        done(st, std::move(resp));
        return;
      }
      *resp.mutable_header() = cluster.currentHeader();
      resp.set_id(id);
      resp.set_ttl(st ? ttl : 0);
      done(Status::ok(), std::move(resp));
    };
    // Only the leader's lessor knows expiry times: a follower asks it.
    if (c_.leaseForwarder != nullptr && !c_.raft.isLeader()) {
      c_.leaseForwarder->renew(id, std::move(answer));
      return;
    }
    c_.leaseDriver.renew(id, std::move(answer));
  });
}

void LeaseServer::timeToLive(const RequestContext& ctx,
                             const etcdserverpb::LeaseTimeToLiveRequest& req,
                             Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::RequestHeader caller;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, &caller); !st) {
    done(st, {});
    return;
  }
  if (!ctx.trusted) {
    // The answer names the lease's keys: read permission on each.
    const AuthInfo who{caller.username(), caller.auth_revision()};
    if (Status st = authorizeLeaseKeys(c_.authorizer, who, c_.lessor, req.id(), false); !st) {
      done(st, {});
      return;
    }
  }
  // etcd waits until everything committed is applied before looking the
  // lease up; a ReadIndex round gives the same guarantee.
  c_.reads.linearizable([this, req, done = std::move(done)](const Status& gate) {
    if (!gate) {
      done(gate, etcdserverpb::LeaseTimeToLiveResponse());
      return;
    }
    auto answer = [&cluster = c_.cluster, done](const Status& st,
                                                etcdserverpb::LeaseTimeToLiveResponse&& resp) {
      if (!st) {
        done(st, etcdserverpb::LeaseTimeToLiveResponse());
        return;
      }
      // The answering member's header, as etcd's v3rpc fills it.
      *resp.mutable_header() = cluster.currentHeader();
      done(Status::ok(), std::move(resp));
    };
    // Remaining TTLs exist only on the leader: a follower asks it.
    if (c_.leaseForwarder != nullptr && !c_.raft.isLeader()) {
      c_.leaseForwarder->timeToLive(req, std::move(answer));
      return;
    }
    Status st;
    etcdserverpb::LeaseTimeToLiveResponse resp =
        LeaseForwarder::timeToLiveAnswer(c_.lessor, req, &st);
    answer(st, std::move(resp));
  });
}

void LeaseServer::leases(const RequestContext& ctx, const etcdserverpb::LeaseLeasesRequest& req,
                         Done<etcdserverpb::LeaseLeasesResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  c_.reads.serializable([this, done = std::move(done)](const Status& gate) {
    etcdserverpb::LeaseLeasesResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    for (const auto& [id, ttl] : c_.lessor.leases()) resp.add_leases()->set_id(id);
    *resp.mutable_header() = c_.cluster.currentHeader();
    done(Status::ok(), std::move(resp));
  });
}

}  // namespace cairn::server
