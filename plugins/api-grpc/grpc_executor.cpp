#include "grpc_executor.h"

#include <grpcpp/alarm.h>

#include <chrono>
#include <memory>

namespace cairn::api {

void runOnGrpcExecutor(std::function<void()> fn) {
  // The alarm frees itself in its callback: its state is reference counted
  // and outlives the running callback.
  auto* alarm = new grpc::Alarm();
  alarm->Set(std::chrono::system_clock::now(), [alarm, fn = std::move(fn)](bool) {
    std::unique_ptr<grpc::Alarm> owned(alarm);
    fn();
  });
}

}  // namespace cairn::api
