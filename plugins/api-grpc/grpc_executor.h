// Running work off the kernel's threads.
//
// Kernel callbacks (a stream's onReady) must not block, so a reactor never
// polls or writes inside them: it hands the work over. While a GrpcServer
// runs, its PumpThread takes it (see pump_thread.h); otherwise (before
// start, after stop) an alarm due now runs it on gRPC's executor.
#pragma once

#include <functional>
#include <memory>

namespace cairn::api {

class PumpThread;

void runOnGrpcExecutor(std::function<void()> fn);

// The pump thread runOnGrpcExecutor posts to (none: gRPC's executor).
// Installed by GrpcServer::start, removed by its stop() once the server has
// shut down (only if it is still the installed one: tests run several
// servers); a post racing the removal still holds the thread it took.
void installPumpThread(std::shared_ptr<PumpThread> pump);
void removePumpThread(const PumpThread* pump);

}  // namespace cairn::api
