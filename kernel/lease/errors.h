// The lessor's errors. Client-visible ones carry the gRPC code and the exact
// message of etcd's rpctypes, so the API layer can forward a Status unchanged;
// the others are internal signals the server must act on (forward to the
// leader, wait for a pending revoke) and never reach a client as such.
#pragma once

#include "cairn/status.h"

namespace cairn::lease {

inline Status errLeaseNotFound() {
  return Status(StatusCode::NotFound, "etcdserver: requested lease not found");
}
inline Status errLeaseExists() {
  return Status(StatusCode::FailedPrecondition, "etcdserver: lease already exists");
}
inline Status errLeaseTtlTooLarge() {
  return Status(StatusCode::OutOfRange, "etcdserver: too large lease TTL");
}

// Renew on a member that is not the primary lessor (not the raft leader, or
// the leader before promote()): the server forwards the request to the leader.
inline Status errNotPrimary() {
  return Status(StatusCode::Unavailable, "not a primary lessor");
}

// Renew of a lease that has expired but whose revoke has not applied yet. etcd
// blocks the renew until the revoke applies (then: lease not found) or the
// member is demoted (then: not primary); the lessor has no threads, so it
// reports this instead and the server waits and retries.
inline Status errLeaseExpiring() {
  return Status(StatusCode::Aborted, "lease expired, revoke pending");
}

inline bool isLeaseNotFound(const Status& s) {
  return s.code() == StatusCode::NotFound && s.message() == errLeaseNotFound().message();
}
inline bool isNotPrimary(const Status& s) {
  return s.code() == StatusCode::Unavailable && s.message() == errNotPrimary().message();
}
inline bool isLeaseExpiring(const Status& s) {
  return s.code() == StatusCode::Aborted && s.message() == errLeaseExpiring().message();
}

}  // namespace cairn::lease
