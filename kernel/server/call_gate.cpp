#include "call_gate.h"

#include "cairn/errors.h"

namespace cairn::server {

Status CallGate::check(const RequestContext& ctx, bool learnerServes, bool leaderChecked) const {
  if (ctx.trusted) return Status::ok();
  // The order of etcd's unary interceptor: the learner check first.
  if (!learnerServes && probes_.selfIsLearner && probes_.selfIsLearner()) {
    return Status(Error::NotSupportedForLearner);
  }
  if (leaderChecked && ctx.requireLeader && probes_.leader && probes_.leader() == 0) {
    return Status(Error::NoLeader);
  }
  return Status::ok();
}

Status CallGate::admitStreamMessage(const RequestContext& ctx) const {
  if (Status st = check(ctx, false, /*leaderChecked=*/false); !st) return st;
  if (!ctx.trusted && ctx.requireLeader && probes_.leaderLost && probes_.leaderLost()) {
    return Status(Error::NoLeader);
  }
  return Status::ok();
}

}  // namespace cairn::server
