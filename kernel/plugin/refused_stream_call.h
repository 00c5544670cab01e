// RefusedStreamCall: a StreamCall that ends at once with a fixed status: a
// stream refused before it serves anything (the CallGate's learner and
// require-leader refusals, an unauthorized Snapshot). The frontend learns of
// the end when it polls: onReady is signalled when the client's request
// arrives. Thread-safe.
#pragma once

#include <functional>
#include <mutex>

#include "cairn/service.h"

namespace cairn::plugin {

class RefusedStreamCall final : public StreamCall {
 public:
  RefusedStreamCall(Status status, std::function<void()> onReady)
      : status_(std::move(status)), onReady_(std::move(onReady)) {}

  void onMessage(const google::protobuf::Message& /*request*/) override {
    // Called under mu_ so close() returning means it is not running.
    std::lock_guard lk(mu_);
    if (onReady_) onReady_();
  }
  Next poll(std::unique_ptr<google::protobuf::Message>* /*out*/, Status* finalStatus) override {
    *finalStatus = status_;
    return Next::Finished;
  }
  void close() override {
    std::lock_guard lk(mu_);
    onReady_ = nullptr;
  }

 private:
  const Status status_;
  std::mutex mu_;
  std::function<void()> onReady_;  // guarded by mu_
};

}  // namespace cairn::plugin
