// Request validation of the KV service, done before a request is proposed or
// served, as etcd 3.4's gRPC layer does (v3rpc/key.go), plus the exact gRPC
// errors of etcd's KV requests (rpctypes/error.go) for the whole KV path.
#pragma once

#include <cstdint>

#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {

// etcd's ErrGRPC* values used by the KV service: code and message as clients
// see them.
namespace kverr {
inline Status emptyKey() {
  return Status(StatusCode::InvalidArgument, "etcdserver: key is not provided");
}
inline Status keyNotFound() {
  return Status(StatusCode::InvalidArgument, "etcdserver: key not found");
}
inline Status valueProvided() {
  return Status(StatusCode::InvalidArgument, "etcdserver: value is provided");
}
inline Status leaseProvided() {
  return Status(StatusCode::InvalidArgument, "etcdserver: lease is provided");
}
inline Status tooManyOps() {
  return Status(StatusCode::InvalidArgument, "etcdserver: too many operations in txn request");
}
inline Status duplicateKey() {
  return Status(StatusCode::InvalidArgument, "etcdserver: duplicate key given in txn request");
}
inline Status leaseNotFound() {
  return Status(StatusCode::NotFound, "etcdserver: requested lease not found");
}
// etcd 3.4 does not check sort options and crashes on an unknown sort target;
// Cairn rejects unknown values with etcd 3.5's error instead.
inline Status invalidSortOption() {
  return Status(StatusCode::InvalidArgument, "etcdserver: invalid sort option");
}
}  // namespace kverr

Status checkRangeRequest(const etcdserverpb::RangeRequest& r);
Status checkPutRequest(const etcdserverpb::PutRequest& r);
Status checkDeleteRequest(const etcdserverpb::DeleteRangeRequest& r);
// The op-count and per-op checks, then the duplicate-key checks of the then
// and else branches (etcd's checkTxnRequest followed by checkIntervals).
Status checkTxnRequest(const etcdserverpb::TxnRequest& r, uint32_t maxTxnOps);

}  // namespace cairn::server
