#include "kv_server.h"

#include "kv_validation.h"
#include "propose_reply.h"
#include "request_auth.h"

namespace cairn::server {

void KvServer::range(const RequestContext& ctx, const etcdserverpb::RangeRequest& req,
                     Done<etcdserverpb::RangeResponse> done) {
  // A learner serves serializable ranges only.
  if (Status st = req.serializable() ? c_.gate.admitOnLearner(ctx) : c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = checkRangeRequest(req); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  auto read = [this, req, done = std::move(done)](const Status& gate) {
    etcdserverpb::RangeResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    Status st = c_.applier.range(req, &resp);
    *resp.mutable_header() = c_.cluster.header(resp.header().revision());
    done(st, std::move(resp));
  };
  if (req.serializable()) {
    c_.reads.serializable(std::move(read));
  } else {
    c_.reads.linearizable(std::move(read));
  }
}

void KvServer::put(const RequestContext& ctx, const etcdserverpb::PutRequest& req,
                   Done<etcdserverpb::PutResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  // etcd's quota check runs first, in front of its KV server.
  if (!c_.quota.fits(req)) {
    c_.quota.refuse([done = std::move(done)](Status st) { done(st, {}); });
    return;
  }
  if (Status st = checkPutRequest(req); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  proposeAndReply<etcdserverpb::PutResponse>(c_.raft, std::move(ir),
                                             etcdserverpb::InternalRaftRequest::kPutFieldNumber,
                                             req, std::move(done));
}

void KvServer::deleteRange(const RequestContext& ctx, const etcdserverpb::DeleteRangeRequest& req,
                           Done<etcdserverpb::DeleteRangeResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = checkDeleteRequest(req); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  proposeAndReply<etcdserverpb::DeleteRangeResponse>(
      c_.raft, std::move(ir), etcdserverpb::InternalRaftRequest::kDeleteRangeFieldNumber, req,
      std::move(done));
}

void KvServer::txn(const RequestContext& ctx, const etcdserverpb::TxnRequest& req,
                   Done<etcdserverpb::TxnResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (!c_.quota.fits(req)) {
    c_.quota.refuse([done = std::move(done)](Status st) { done(st, {}); });
    return;
  }
  if (Status st = checkTxnRequest(req, c_.options.maxTxnOps); !st) {
    done(st, {});
    return;
  }
  if (KvApplier::isTxnReadOnly(req)) {
    if (Status st = authorizeRequest(c_.authorizer, ctx, req, nullptr); !st) {
      done(st, {});
      return;
    }
    // As etcd: a read-only txn is served like a range, without a raft entry.
    auto read = [this, req, done = std::move(done)](const Status& gate) {
      etcdserverpb::TxnResponse resp;
      if (!gate) {
        done(gate, std::move(resp));
        return;
      }
      Status st = c_.applier.readOnlyTxn(req, &resp);
      *resp.mutable_header() = c_.cluster.header(resp.header().revision());
      done(st, std::move(resp));
    };
    if (KvApplier::isTxnSerializable(req)) {
      c_.reads.serializable(std::move(read));
    } else {
      c_.reads.linearizable(std::move(read));
    }
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  proposeAndReply<etcdserverpb::TxnResponse>(c_.raft, std::move(ir),
                                             etcdserverpb::InternalRaftRequest::kTxnFieldNumber,
                                             req, std::move(done));
}

void KvServer::compact(const RequestContext& ctx, const etcdserverpb::CompactionRequest& req,
                       Done<etcdserverpb::CompactionResponse> done) {
  if (Status st = c_.gate.admit(ctx); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(c_.authorizer, ctx, req, ir.mutable_header()); !st) {
    done(st, {});
    return;
  }
  *ir.mutable_compaction() = req;
  proposeAndReply<etcdserverpb::CompactionResponse>(c_.raft, std::move(ir), std::move(done));
}

}  // namespace cairn::server
