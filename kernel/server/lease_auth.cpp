#include "lease_auth.h"

#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {

Status authorizeLeaseKeys(Authorizer* authorizer, const AuthInfo& who, const lease::Lessor& lessor,
                          int64_t leaseId, bool write) {
  if (authorizer == nullptr || leaseId == 0) return Status::ok();
  // Whoever may touch every key (auth off, root, the kernel itself) needs
  // no per-key answers: this keeps a leased put O(1) rather than O(keys of
  // its lease), which a bulk load of leased keys would pay quadratically.
  const std::string everything(1, '\0');  // [\0, +inf): every key there can be
  if (write) {
    etcdserverpb::DeleteRangeRequest all;
    all.set_key(everything);
    all.set_range_end(everything);
    if (authorizer->authorize(who, "", all)) return Status::ok();
  } else {
    etcdserverpb::RangeRequest all;
    all.set_key(everything);
    all.set_range_end(everything);
    if (authorizer->authorize(who, "", all)) return Status::ok();
  }
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
