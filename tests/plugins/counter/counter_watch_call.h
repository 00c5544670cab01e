// CounterWatchCall: one Counter.Watch stream, as a StreamCall.
//
// The client's one GetRequest names the counter; the call then queues the
// current value and every change (pushed by CounterState from the apply
// loop) and signals onReady when the queue becomes non-empty; the frontend
// takes the values with poll(), one write at a time. The queue is unbounded:
// fine for a test plugin whose counters change at test speed (a real one
// would coalesce, or end a stream that falls too far behind).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "cairn/service.h"
#include "counter_state.h"

namespace cairn::counter {

class CounterWatchCall final : public StreamCall {
 public:
  // `state` must outlive the call.
  CounterWatchCall(CounterState& state, std::function<void()> onReady);
  ~CounterWatchCall() override;

  void onMessage(const google::protobuf::Message& request) override;
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override;
  void close() override;

 private:
  CounterState& state_;
  const std::function<void()> onReady_;

  std::mutex mu_;
  std::deque<int64_t> queue_;  // guarded by mu_
  uint64_t subscription_ = 0;  // guarded by mu_; 0: none
  bool subscribed_ = false;    // guarded by mu_: a second request is ignored
  bool closed_ = false;        // guarded by mu_
};

}  // namespace cairn::counter
