// The check before a request is proposed or served (etcd's v3 server asks
// the auth store the same two questions): who is calling, and may they make
// this request. The identity is carried in the replicated request's header
// so the apply chain (AuthApplier) asks again at apply time, with the auth
// revision it was resolved at.
#pragma once

#include <google/protobuf/message.h>

#include "cairn/authorizer.h"
#include "cairn/request_context.h"
#include "cairn/status.h"
#include "etcdserverpb/raft_internal.pb.h"

namespace cairn::server {

// OK at once when `authorizer` is null (auth disabled) or the context is
// trusted; otherwise authenticate + authorize (method "", as for the
// kernel's own requests), answering their error. On success with an
// identity, `header` (if not null) gets its username and auth_revision.
// Any thread.
Status authorizeRequest(Authorizer* authorizer, const RequestContext& ctx,
                        const google::protobuf::Message& request,
                        etcdserverpb::RequestHeader* header);

}  // namespace cairn::server
