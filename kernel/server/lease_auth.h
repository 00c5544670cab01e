// The keys a lease carries, checked as etcd's server checks them: revoking a
// lease deletes its keys, so the caller needs write permission on each
// (authApplierV3.checkLeasePuts), and attaching a new key to a lease does
// too; reading a lease's remaining time with its keys needs read permission
// on each (etcd 3.5's checkLeaseTimeToLive). The Authorizer answers per
// key; the kernel knows which keys a lease holds.
//
// Any thread (the lessor's reads are thread-safe).
#pragma once

#include <cstdint>

#include "cairn/authorizer.h"
#include "cairn/status.h"
#include "lease/lessor.h"

namespace cairn::server {

// OK when `authorizer` is null or the lease does not exist (the request then
// fails on its own). Otherwise the first refusal of a key.
Status authorizeLeaseKeys(Authorizer* authorizer, const AuthInfo& who, const lease::Lessor& lessor,
                          int64_t leaseId, bool write);

}  // namespace cairn::server
