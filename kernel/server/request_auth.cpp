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
  // The revision is always carried: with auth enabled and no token the user
  // is empty but the revision is not, a pair the applier refuses as
  // anonymous, whereas an empty user at revision 0 is the kernel itself. An
  // empty name is not set (protobuf would allocate for it).
  if (header != nullptr) {
    if (!info.user.empty()) header->set_username(info.user);
    header->set_auth_revision(info.revision);
  }
  return Status::ok();
}

}  // namespace cairn::server
