// KvGateway: the KV and Lease calls a Lua handler makes, as blocking calls.
//
// Handlers run on their script's own runner thread, never on a kernel
// thread, so waiting there for the Host's answer blocks nobody else. The
// Host-backed implementation is HostKvGateway; tests may substitute their
// own.
#pragma once

#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn::luahooks {

class KvGateway {
 public:
  virtual ~KvGateway() = default;
  virtual Status range(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse* out) = 0;
  virtual Status put(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* out) = 0;
  virtual Status deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                             etcdserverpb::DeleteRangeResponse* out) = 0;
  virtual Status txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* out) = 0;
  virtual Status leaseGrant(const etcdserverpb::LeaseGrantRequest& req,
                            etcdserverpb::LeaseGrantResponse* out) = 0;
};

}  // namespace cairn::luahooks
