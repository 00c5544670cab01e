// Fakes a streaming call (a streaming method, or Snapshot) and the handler that opens it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "cairn/host.h"

namespace cairn::api::test {

// One fake StreamCall (a registered streaming method, or Maintenance's
// Snapshot). The test queues responses with push() and ends the call with
// finish(); both signal onReady as a handler does. Client messages are
// recorded, and an optional script may answer them inline.
class FakeStreamCall {
 public:
  using MessageScript = std::function<void(const google::protobuf::Message&, FakeStreamCall&)>;

  FakeStreamCall(RequestContext ctx, std::function<void()> onReady, MessageScript script)
      : ctx_(std::move(ctx)), onReady_(std::move(onReady)), script_(std::move(script)) {}

  // StreamCall's side, from the plugin.
  void onMessage(const google::protobuf::Message& request) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::unique_ptr<google::protobuf::Message> copy(request.New());
      copy->CopyFrom(request);
      messages_.push_back(std::move(copy));
    }
    cv_.notify_all();
    if (script_) script_(request, *this);
  }
  void onClientDone() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      clientDone_ = true;
    }
    cv_.notify_all();
  }
  StreamCall::Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queue_.empty()) {
      *out = std::move(queue_.front());
      queue_.pop_front();
      return StreamCall::Next::Message;
    }
    if (final_) {
      *finalStatus = *final_;
      return StreamCall::Next::Finished;
    }
    return StreamCall::Next::Idle;
  }
  void close() {
    // Waits for a running onReady: after close() returns it never runs again.
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // The test's side.
  void push(std::unique_ptr<google::protobuf::Message> response) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      queue_.push_back(std::move(response));
    }
    fireOnReady();
  }
  void finish(Status status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      final_ = std::move(status);
    }
    fireOnReady();
  }
  void fireOnReady() {
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
    }
    onReady_();
  }

  const RequestContext& context() const { return ctx_; }
  size_t messageCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_.size();
  }
  // A copy of the index-th client message.
  template <typename T>
  T message(size_t index) const {
    std::lock_guard<std::mutex> lock(mu_);
    T out;
    out.CopyFrom(*messages_.at(index));
    return out;
  }
  bool waitForMessages(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }
  bool waitClientDone(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return clientDone_; });
  }
  bool waitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return closed_; });
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  const RequestContext ctx_;
  std::mutex callMu_;  // held while onReady runs and by close()
  mutable std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()> onReady_;
  const MessageScript script_;
  std::deque<std::unique_ptr<google::protobuf::Message>> queue_;      // guarded by mu_
  std::optional<Status> final_;                                       // guarded by mu_
  std::vector<std::unique_ptr<google::protobuf::Message>> messages_;  // guarded by mu_
  bool clientDone_ = false;                                           // guarded by mu_
  bool closed_ = false;                                               // guarded by mu_
};

// What a handler hands the plugin; the test keeps the call itself.
class FakeStreamCallHandle final : public StreamCall {
 public:
  explicit FakeStreamCallHandle(std::shared_ptr<FakeStreamCall> call) : call_(std::move(call)) {}
  ~FakeStreamCallHandle() override { call_->close(); }
  void onMessage(const google::protobuf::Message& request) override { call_->onMessage(request); }
  void onClientDone() override { call_->onClientDone(); }
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override {
    return call_->poll(out, finalStatus);
  }
  void close() override { call_->close(); }

 private:
  const std::shared_ptr<FakeStreamCall> call_;
};

// Opens FakeStreamCalls and keeps them for the test: a StreamHandler.
class FakeStreams {
 public:
  void script(FakeStreamCall::MessageScript script) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(script);
  }
  std::unique_ptr<StreamCall> open(const RequestContext& ctx, std::function<void()> onReady) {
    std::shared_ptr<FakeStreamCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = std::make_shared<FakeStreamCall>(ctx, std::move(onReady), script_);
      calls_.push_back(call);
    }
    cv_.notify_all();
    return std::make_unique<FakeStreamCallHandle>(std::move(call));
  }
  StreamHandler handler() {
    return [this](const RequestContext& ctx, std::function<void()> onReady) {
      return open(ctx, std::move(onReady));
    };
  }
  std::shared_ptr<FakeStreamCall> waitForCall(size_t index, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return calls_.size() > index; })) return nullptr;
    return calls_[index];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  FakeStreamCall::MessageScript script_;                // guarded by mu_
  std::vector<std::shared_ptr<FakeStreamCall>> calls_;  // guarded by mu_
};

}  // namespace cairn::api::test
