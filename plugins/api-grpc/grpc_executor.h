// Running work on gRPC's own callback threads.
//
// Kernel callbacks (a stream's onReady) must not block, so a reactor never
// polls or writes inside them: it hands the work to gRPC's executor. gRPC
// offers no executor API; an alarm due now runs its function there.
#pragma once

#include <functional>

namespace cairn::api {

void runOnGrpcExecutor(std::function<void()> fn);

}  // namespace cairn::api
