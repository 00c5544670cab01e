// KvServer: the etcd v3 KV service as the kernel offers it to plugins.
// Validates each request the way etcd's gRPC layer does, checks it with the
// authorizer (when auth is on), then routes writes through raft and reads
// through the member's read paths.
//
// Threads: any caller; answers come from the read pool or the reply pool
// (or at once for a request that fails validation or authorization).
#pragma once

#include "cairn/host.h"
#include "service_context.h"

namespace cairn::server {

class KvServer final : public KvService {
 public:
  explicit KvServer(ServiceContext context) : c_(context) {}

  void range(const RequestContext& ctx, const etcdserverpb::RangeRequest& req,
             Done<etcdserverpb::RangeResponse> done) override;
  void put(const RequestContext& ctx, const etcdserverpb::PutRequest& req,
           Done<etcdserverpb::PutResponse> done) override;
  void deleteRange(const RequestContext& ctx, const etcdserverpb::DeleteRangeRequest& req,
                   Done<etcdserverpb::DeleteRangeResponse> done) override;
  void txn(const RequestContext& ctx, const etcdserverpb::TxnRequest& req,
           Done<etcdserverpb::TxnResponse> done) override;
  void compact(const RequestContext& ctx, const etcdserverpb::CompactionRequest& req,
               Done<etcdserverpb::CompactionResponse> done) override;

 private:
  ServiceContext c_;
};

}  // namespace cairn::server
