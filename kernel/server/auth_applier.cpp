#include "auth_applier.h"

namespace cairn::server {

void AuthApplier::apply(const ApplyRequest& req, ApplyOutcome* out) {
  if (authorizer_ != nullptr && req.request != nullptr) {
    const AuthInfo who{req.entry.header().username(), req.entry.header().auth_revision()};
    if (Status st = authorizer_->authorize(who, "", *req.request); !st) {
      out->result.status = std::move(st);
      return;
    }
  }
  next_.apply(req, out);
}

}  // namespace cairn::server
