#include "kv_server.h"

#include "kv_validation.h"
#include "propose_reply.h"

namespace cairn::server {

void KvServer::range(const etcdserverpb::RangeRequest& req,
                     Done<etcdserverpb::RangeResponse> done) {
  if (Status st = checkRangeRequest(req); !st) {
    done(st, {});
    return;
  }
  auto read = [this, req, done = std::move(done)](const Status& gate) {
    etcdserverpb::RangeResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    Status st = server_.applier().range(req, &resp);
    *resp.mutable_header() = server_.header(resp.header().revision());
    done(st, std::move(resp));
  };
  if (req.serializable()) {
    server_.readSerializable(std::move(read));
  } else {
    server_.readLinearizable(std::move(read));
  }
}

void KvServer::put(const etcdserverpb::PutRequest& req, Done<etcdserverpb::PutResponse> done) {
  if (Status st = checkPutRequest(req); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  *ir.mutable_put() = req;
  proposeAndReply<etcdserverpb::PutResponse>(server_, std::move(ir), std::move(done));
}

void KvServer::deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                           Done<etcdserverpb::DeleteRangeResponse> done) {
  if (Status st = checkDeleteRequest(req); !st) {
    done(st, {});
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  *ir.mutable_delete_range() = req;
  proposeAndReply<etcdserverpb::DeleteRangeResponse>(server_, std::move(ir), std::move(done));
}

void KvServer::txn(const etcdserverpb::TxnRequest& req, Done<etcdserverpb::TxnResponse> done) {
  if (Status st = checkTxnRequest(req, server_.options().maxTxnOps); !st) {
    done(st, {});
    return;
  }
  if (KvApplier::isTxnReadOnly(req)) {
    // As etcd: a read-only txn is served like a range, without a raft entry.
    auto read = [this, req, done = std::move(done)](const Status& gate) {
      etcdserverpb::TxnResponse resp;
      if (!gate) {
        done(gate, std::move(resp));
        return;
      }
      Status st = server_.applier().readOnlyTxn(req, &resp);
      *resp.mutable_header() = server_.header(resp.header().revision());
      done(st, std::move(resp));
    };
    if (KvApplier::isTxnSerializable(req)) {
      server_.readSerializable(std::move(read));
    } else {
      server_.readLinearizable(std::move(read));
    }
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  *ir.mutable_txn() = req;
  proposeAndReply<etcdserverpb::TxnResponse>(server_, std::move(ir), std::move(done));
}

void KvServer::compact(const etcdserverpb::CompactionRequest& req,
                       Done<etcdserverpb::CompactionResponse> done) {
  etcdserverpb::InternalRaftRequest ir;
  *ir.mutable_compaction() = req;
  proposeAndReply<etcdserverpb::CompactionResponse>(server_, std::move(ir), std::move(done));
}

}  // namespace cairn::server
