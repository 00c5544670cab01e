// AuthApplier: the apply-time permission check (etcd's authApplierV3). The
// identity the request was proposed with (header username, auth revision)
// is checked again against the authorizer's current state, so a permission
// revoked, or a user's auth revision moved, between proposing and applying
// is honoured (Error::AuthOldRevision, Error::PermissionDenied).
//
// A lease revoke, and a put attaching a key to a lease, are also checked
// against every key the lease holds (lease_auth.h), as etcd's applier does.
//
// Owner: the apply loop. Without an authorizer every request passes through
// untouched (auth disabled).
#pragma once

#include "applier.h"
#include "cairn/authorizer.h"
#include "lease/lessor.h"

namespace cairn::server {

class AuthApplier final : public Applier {
 public:
  // `authorizer` may be null; `next` is the rest of the chain; `lessor`
  // answers which keys a lease holds.
  AuthApplier(Authorizer* authorizer, const lease::Lessor& lessor, Applier& next)
      : authorizer_(authorizer), lessor_(lessor), next_(next) {}

  void apply(const ApplyRequest& req, ApplyOutcome* out) override;

 private:
  Authorizer* const authorizer_;  // thread-safe per its contract
  const lease::Lessor& lessor_;   // its reads are thread-safe
  Applier& next_;
};

}  // namespace cairn::server
