#include "counter_watch_call.h"

#include "cairn/test_counter.pb.h"

namespace cairn::counter {

CounterWatchCall::CounterWatchCall(CounterState& state, std::function<void()> onReady)
    : state_(state), onReady_(std::move(onReady)) {}

CounterWatchCall::~CounterWatchCall() {
  close();
}

void CounterWatchCall::onMessage(const google::protobuf::Message& request) {
  const auto& get = static_cast<const test::GetRequest&>(request);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A server-streaming call has one request; closed calls subscribe to
    // nothing.
    if (subscribed_ || closed_) return;
    subscribed_ = true;
  }
  // Runs under the state's lock, on the apply loop for changes: only queue
  // and signal (onReady must not block, and does not).
  const uint64_t id = state_.subscribe(get.name(), [this](int64_t value) {
    bool wasEmpty = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      wasEmpty = queue_.empty();
      queue_.push_back(value);
    }
    if (wasEmpty) onReady_();
  });
  bool closedMeanwhile = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subscription_ = id;
    closedMeanwhile = closed_;
  }
  if (closedMeanwhile) state_.unsubscribe(id);
}

StreamCall::Next CounterWatchCall::poll(std::unique_ptr<google::protobuf::Message>* out,
                                        Status* /*finalStatus*/) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty()) return Next::Idle;  // a watch ends only when the client leaves
  auto response = std::make_unique<test::GetResponse>();
  response->set_value(queue_.front());
  queue_.pop_front();
  *out = std::move(response);
  return Next::Message;
}

void CounterWatchCall::close() {
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    id = subscription_;
    queue_.clear();
  }
  // Waits for a listener call in progress (also when closing again, as
  // another close may still be waiting): after it, onReady is never
  // signalled again.
  if (id != 0) state_.unsubscribe(id);
}

}  // namespace cairn::counter
