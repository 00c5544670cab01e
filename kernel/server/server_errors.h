// etcd's server-level error messages (etcdserver/api/v3rpc/rpctypes), which
// clients match on. All are gRPC Unavailable except kErrRequestTooLarge
// (InvalidArgument).
#pragma once

namespace cairn::server {

inline constexpr const char* kErrStopped = "etcdserver: server stopped";
inline constexpr const char* kErrTimeout = "etcdserver: request timed out";
inline constexpr const char* kErrNoLeader = "etcdserver: no leader";
inline constexpr const char* kErrRequestTooLarge = "etcdserver: request is too large";

}  // namespace cairn::server
