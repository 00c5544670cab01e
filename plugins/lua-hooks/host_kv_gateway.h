// HostKvGateway: KvGateway over the Host's KV and Lease services. Each call
// goes through Raft exactly like a client's (RequestContext::internal():
// the plugin acts on its own account) and blocks the calling runner thread
// until the kernel answers or kCallTimeout passes.
#pragma once

#include <chrono>

#include "cairn/host.h"
#include "kv_gateway.h"

namespace cairn::luahooks {

class HostKvGateway final : public KvGateway {
 public:
  // A write that has not applied by then fails the handler (and is retried
  // per the retry policy); the kernel's own request timeout is shorter.
  static constexpr std::chrono::seconds kCallTimeout{15};

  explicit HostKvGateway(Host& host) : host_(host) {}

  Status range(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse* out) override;
  Status put(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* out) override;
  Status deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                     etcdserverpb::DeleteRangeResponse* out) override;
  Status txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* out) override;
  Status leaseGrant(const etcdserverpb::LeaseGrantRequest& req,
                    etcdserverpb::LeaseGrantResponse* out) override;

 private:
  Host& host_;
};

}  // namespace cairn::luahooks
