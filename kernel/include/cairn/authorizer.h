// Authorizer: who may do what. Provided by the auth plugin through the
// Registrar; without one the kernel allows everything (auth disabled).
//
// The kernel calls it twice for a write, as etcd does: before proposing
// (authenticate, then authorize with the identity), and at apply time with
// the identity and auth revision carried in the replicated request's header,
// so a permission revoked between the two is honoured (the apply-time call
// answers Error::AuthOldRevision or Error::PermissionDenied). Reads and
// streams are checked once, before they are served.
//
// Thread-safe: called from frontends' threads and from the apply loop. Must
// not block on I/O or raft (state changes reach it through its own apply
// handlers).
#pragma once

#include <google/protobuf/message.h>

#include "cairn/request_context.h"
#include "cairn/status.h"

namespace cairn {

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Resolves the caller's identity from its token or certificate.
  // Error::InvalidAuthToken for a token that is unknown or expired; an empty
  // user when auth is disabled.
  virtual Status authenticate(const RequestContext& ctx, AuthInfo* out) = 0;
  // Whether `who` may perform `request`: an etcd request message
  // (etcdserverpb.RangeRequest, PutRequest, ..., LeaseRevokeRequest,
  // AlarmRequest, ...) or the request message of a registered service's
  // method, named by `method` ("/v3lockpb.Lock/Lock"; empty for the kernel's
  // own KV/Lease requests checked at apply time).
  virtual Status authorize(const AuthInfo& who, const std::string& method,
                           const google::protobuf::Message& request) = 0;
};

}  // namespace cairn
