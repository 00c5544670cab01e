#include "request_auth.h"

namespace cairn::server {

Status authorizeRequest(Authorizer* authorizer, const RequestContext& ctx,
                        const google::protobuf::Message& request,
                        etcdserverpb::RequestHeader* header) {
  // The hot path without auth: no identity, no allocation.
  if (authorizer == nullptr || ctx.trusted) return Status::ok();
  AuthInfo info;
  if (Status st = authorizer->authenticate(ctx, &info); !st) return st;
  if (Status st = authorizer->authorize(info, "", request); !st) return st;
  // Without auth enabled there is no user: the header keeps its defaults
  // (and protobuf allocates nothing for an empty name).
  if (header != nullptr && !info.user.empty()) {
    header->set_username(info.user);
    header->set_auth_revision(info.revision);
  }
  return Status::ok();
}

}  // namespace cairn::server
