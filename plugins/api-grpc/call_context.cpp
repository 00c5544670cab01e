#include "call_context.h"

#include <grpc/support/time.h>

#include <chrono>

namespace cairn::api {

RequestContext requestContextFor(const grpc::CallbackServerContext& call) {
  RequestContext ctx;
  const auto& metadata = call.client_metadata();
  if (auto it = metadata.find(kTokenMetadataKey); it != metadata.end()) {
    ctx.token.assign(it->second.data(), it->second.size());
  }
  if (auto it = metadata.find(kRequireLeaderMetadataKey);
      it != metadata.end() && it->second == kHasLeader) {
    ctx.requireLeader = true;
  }
  const gpr_timespec raw = call.raw_deadline();
  if (gpr_time_cmp(raw, gpr_inf_future(raw.clock_type)) != 0) {
    // The kernel measures time on the steady clock; gRPC gives the deadline
    // on the system clock.
    const auto left = call.deadline() - std::chrono::system_clock::now();
    ctx.deadline = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
  }
  return ctx;
}

}  // namespace cairn::api
