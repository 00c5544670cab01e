#include "grpc_executor.h"

#include <grpcpp/alarm.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

#include "pump_thread.h"

namespace cairn::api {
namespace {

std::mutex gPumpMu;
std::shared_ptr<PumpThread> gPump;  // guarded by gPumpMu

}  // namespace

void installPumpThread(std::shared_ptr<PumpThread> pump) {
  std::lock_guard lock(gPumpMu);
  gPump = std::move(pump);
}

void removePumpThread(const PumpThread* pump) {
  std::shared_ptr<PumpThread> old;
  {
    std::lock_guard lock(gPumpMu);
    if (gPump.get() == pump) old = std::move(gPump);
  }
  // Released outside gPumpMu: the last reference joins the thread, whose
  // work may post.
}

void runOnGrpcExecutor(std::function<void()> fn) {
  std::shared_ptr<PumpThread> pump;
  {
    std::lock_guard lock(gPumpMu);
    pump = gPump;
  }
  if (pump) {
    pump->post(std::move(fn));
    return;
  }
  // The alarm frees itself in its callback: its state is reference counted
  // and outlives the running callback.
  auto* alarm = new grpc::Alarm();
  alarm->Set(std::chrono::system_clock::now(), [alarm, fn = std::move(fn)](bool) {
    std::unique_ptr<grpc::Alarm> owned(alarm);
    fn();
  });
}

}  // namespace cairn::api
