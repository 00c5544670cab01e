#include "lease_auth.h"

#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {

Status authorizeLeaseKeys(Authorizer* authorizer, const AuthInfo& who, const lease::Lessor& lessor,
                          int64_t leaseId, bool write) {
  if (authorizer == nullptr || leaseId == 0) return Status::ok();
  std::optional<lease::Lease> lease = lessor.lookup(leaseId);
  if (!lease) return Status::ok();
  for (const std::string& key : lease->keys) {
    Status st;
    if (write) {
      etcdserverpb::PutRequest put;
      put.set_key(key);
      st = authorizer->authorize(who, "", put);
    } else {
      etcdserverpb::RangeRequest range;
      range.set_key(key);
      st = authorizer->authorize(who, "", range);
    }
    if (!st) return st;
  }
  return Status::ok();
}

}  // namespace cairn::server
