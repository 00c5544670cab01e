// KvServer: the etcd v3 KV service as the kernel offers it to API plugins.
// Validates each request the way etcd's gRPC layer does, then routes writes
// through raft and reads through the read paths of the Server.
#pragma once

#include "cairn/host.h"
#include "server.h"

namespace cairn::server {

class KvServer final : public KvService {
 public:
  explicit KvServer(Server& server) : server_(server) {}

  void range(const etcdserverpb::RangeRequest& req,
             Done<etcdserverpb::RangeResponse> done) override;
  void put(const etcdserverpb::PutRequest& req, Done<etcdserverpb::PutResponse> done) override;
  void deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                   Done<etcdserverpb::DeleteRangeResponse> done) override;
  void txn(const etcdserverpb::TxnRequest& req, Done<etcdserverpb::TxnResponse> done) override;
  void compact(const etcdserverpb::CompactionRequest& req,
               Done<etcdserverpb::CompactionResponse> done) override;

 private:
  Server& server_;
};

}  // namespace cairn::server
