#include "auth_applier.h"

#include "lease_auth.h"

namespace cairn::server {

void AuthApplier::apply(const ApplyRequest& req, ApplyOutcome* out) {
  if (authorizer_ != nullptr && req.request != nullptr) {
    const AuthInfo who{req.entry.header().username(), req.entry.header().auth_revision()};
    Status st = authorizer_->authorize(who, "", *req.request);
    if (st && req.entry.has_lease_revoke()) {
      st = authorizeLeaseKeys(authorizer_, who, lessor_, req.entry.lease_revoke().id(), true);
    }
    if (st && req.entry.has_put()) {
      st = authorizeLeaseKeys(authorizer_, who, lessor_, req.entry.put().lease(), true);
    }
    if (!st) {
      out->result.status = std::move(st);
      return;
    }
  }
  next_.apply(req, out);
}

}  // namespace cairn::server
