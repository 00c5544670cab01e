// The RequestContext of one gRPC call: what the kernel needs to know about
// the caller, taken from the call as etcd's server takes it.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/request_context.h"

namespace cairn::api {

// etcd clients send their auth token in this metadata key
// (rpctypes.TokenFieldNameGRPC).
inline constexpr const char* kTokenMetadataKey = "token";
// clientv3.WithRequireLeader puts hasleader=true in the call's metadata
// (rpctypes.MetadataRequireLeaderKey / MetadataHasLeader).
inline constexpr const char* kRequireLeaderMetadataKey = "hasleader";
inline constexpr const char* kHasLeader = "true";

// A context with the call's token and deadline and a fresh CancelToken,
// which the call's reactor cancels in OnCancel.
RequestContext requestContextFor(const grpc::CallbackServerContext& call);

}  // namespace cairn::api
