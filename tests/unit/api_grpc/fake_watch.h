// Fakes the kernel's Watch service: sessions a test fills and wakes by hand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "cairn/host.h"

namespace cairn::api::test {

// One fake watch stream. The test queues responses with push() (which calls
// onReady when the queue goes from empty to non-empty, as the kernel does)
// and may script request() to queue answers inline, from inside request().
class FakeWatchSession {
 public:
  using RequestScript = std::function<void(const etcdserverpb::WatchRequest&, FakeWatchSession&)>;

  FakeWatchSession(std::function<void()> onReady, RequestScript script)
      : onReady_(std::move(onReady)), script_(std::move(script)) {}

  // WatchSession's side, from the plugin.
  void request(const etcdserverpb::WatchRequest& req) {
    RequestScript script;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      script = script_;
    }
    cv_.notify_all();
    if (script) script(req, *this);
  }
  bool poll(etcdserverpb::WatchResponse* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) return false;
    *out = std::move(queue_.front().response);
    queue_.pop_front();
    return true;
  }
  // As the SDK's default, except for a response pushed unencodable: taken,
  // with no bytes (what a kernel answers for one over protobuf's 2 GiB).
  bool pollEncoded(std::string* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) return false;
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    out->clear();
    if (!q.unencodable) q.response.AppendToString(out);
    return true;
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

  // The test's side. Queues `response`; onReady runs on the calling thread if
  // the queue was empty and `notify` is set. Dropped once closed.
  void push(etcdserverpb::WatchResponse response, bool notify = true) {
    pushQueued(Queued{std::move(response), false}, notify);
  }
  // Queues a response pollEncoded() cannot serialize.
  void pushUnencodable(etcdserverpb::WatchResponse response) {
    pushQueued(Queued{std::move(response), true}, true);
  }
  // onReady unless closed (a spurious or a late wake-up).
  void fireOnReady() {
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
    }
    onReady_();
  }
  // onReady even when closed, which the real kernel never does: for tests of
  // a wake-up arriving after the stream is gone.
  void fireOnReadyIgnoringClose() { onReady_(); }

  std::vector<etcdserverpb::WatchRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  bool waitForRequests(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }
  bool waitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return closed_; });
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  // Held while onReady runs and by close(), so close() waits for it.
  std::mutex callMu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()> onReady_;
  const RequestScript script_;
  struct Queued {
    etcdserverpb::WatchResponse response;
    bool unencodable = false;
  };
  void pushQueued(Queued q, bool notify) {
    bool wasEmpty = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      wasEmpty = queue_.empty();
      queue_.push_back(std::move(q));
    }
    if (wasEmpty && notify) fireOnReady();
  }

  std::deque<Queued> queue_;                          // guarded by mu_
  std::vector<etcdserverpb::WatchRequest> requests_;  // guarded by mu_
  bool closed_ = false;                               // guarded by mu_
};

// What open() hands the plugin: the plugin owns this handle, the test keeps
// the session itself to look at it after the stream is gone.
class FakeWatchSessionHandle final : public WatchSession {
 public:
  explicit FakeWatchSessionHandle(std::shared_ptr<FakeWatchSession> session)
      : session_(std::move(session)) {}
  ~FakeWatchSessionHandle() override { session_->close(); }
  void request(const etcdserverpb::WatchRequest& req) override { session_->request(req); }
  bool poll(etcdserverpb::WatchResponse* out) override { return session_->poll(out); }
  bool pollEncoded(std::string* out) override { return session_->pollEncoded(out); }
  void close() override { session_->close(); }

 private:
  const std::shared_ptr<FakeWatchSession> session_;
};

class FakeWatch final : public WatchService {
 public:
  // Applies to sessions opened afterwards.
  void scriptRequests(FakeWatchSession::RequestScript script) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(script);
  }

  std::unique_ptr<WatchSession> open(const RequestContext& ctx,
                                     std::function<void()> onReady) override {
    std::shared_ptr<FakeWatchSession> session;
    {
      std::lock_guard<std::mutex> lock(mu_);
      session = std::make_shared<FakeWatchSession>(std::move(onReady), script_);
      sessions_.push_back(session);
      contexts_.push_back(ctx);
    }
    cv_.notify_all();
    return std::make_unique<FakeWatchSessionHandle>(std::move(session));
  }

  // The index-th session opened, once it exists (nullptr on timeout).
  std::shared_ptr<FakeWatchSession> waitForSession(size_t index,
                                                   std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return sessions_.size() > index; })) return nullptr;
    return sessions_[index];
  }
  size_t sessionCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }
  std::vector<RequestContext> contexts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return contexts_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  FakeWatchSession::RequestScript script_;                   // guarded by mu_
  std::vector<std::shared_ptr<FakeWatchSession>> sessions_;  // guarded by mu_
  std::vector<RequestContext> contexts_;                     // guarded by mu_
};

}  // namespace cairn::api::test
