// Test doubles for the kernel side of the api-grpc plugin: a Host with
// scripted flags; KV and Lease services that record every request and answer
// as each test scripts it, from their own "kernel" thread as the real kernel
// does; and a Watch service whose sessions a test fills and wakes by hand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cairn/host.h"

namespace cairn::api::test {

// One thread running posted tasks in order, standing in for the kernel's
// apply loop. The destructor runs what is queued, then joins.
class KernelThread {
 public:
  KernelThread() : thread_([this] { run(); }) {}
  ~KernelThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::thread thread_;                       // last: starts after the fields above exist
};

// Recorded requests and the scripted behaviour of one KV or Lease method.
template <typename Request, typename Response>
class FakeMethod {
 public:
  using Handler = std::function<void(const Request&, Done<Response>)>;

  void script(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }

  // Called from gRPC's callback threads.
  void call(const Request& request, Done<Response> done) {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      handler = handler_;
    }
    cv_.notify_all();
    if (handler) {
      handler(request, std::move(done));
    } else {
      // An unscripted call is a test bug: answer loudly, never succeed.
      done(Status(StatusCode::Internal, "fake kernel: no script for this method"), Response{});
    }
  }

  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  // Waits until `count` requests arrived; false on timeout.
  bool waitForRequests(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;  // guarded by mu_
  Handler handler_;                // guarded by mu_
};

class FakeKv final : public KvService {
 public:
  void range(const etcdserverpb::RangeRequest& req,
             Done<etcdserverpb::RangeResponse> done) override {
    rangeMethod.call(req, std::move(done));
  }
  void put(const etcdserverpb::PutRequest& req, Done<etcdserverpb::PutResponse> done) override {
    putMethod.call(req, std::move(done));
  }
  void deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                   Done<etcdserverpb::DeleteRangeResponse> done) override {
    deleteRangeMethod.call(req, std::move(done));
  }
  void txn(const etcdserverpb::TxnRequest& req, Done<etcdserverpb::TxnResponse> done) override {
    txnMethod.call(req, std::move(done));
  }
  void compact(const etcdserverpb::CompactionRequest& req,
               Done<etcdserverpb::CompactionResponse> done) override {
    compactMethod.call(req, std::move(done));
  }

  FakeMethod<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse> rangeMethod;
  FakeMethod<etcdserverpb::PutRequest, etcdserverpb::PutResponse> putMethod;
  FakeMethod<etcdserverpb::DeleteRangeRequest, etcdserverpb::DeleteRangeResponse> deleteRangeMethod;
  FakeMethod<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse> txnMethod;
  FakeMethod<etcdserverpb::CompactionRequest, etcdserverpb::CompactionResponse> compactMethod;
};

class FakeLease final : public LeaseService {
 public:
  void grant(const etcdserverpb::LeaseGrantRequest& req,
             Done<etcdserverpb::LeaseGrantResponse> done) override {
    grantMethod.call(req, std::move(done));
  }
  void revoke(const etcdserverpb::LeaseRevokeRequest& req,
              Done<etcdserverpb::LeaseRevokeResponse> done) override {
    revokeMethod.call(req, std::move(done));
  }
  void keepAlive(const etcdserverpb::LeaseKeepAliveRequest& req,
                 Done<etcdserverpb::LeaseKeepAliveResponse> done) override {
    keepAliveMethod.call(req, std::move(done));
  }
  void timeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req,
                  Done<etcdserverpb::LeaseTimeToLiveResponse> done) override {
    timeToLiveMethod.call(req, std::move(done));
  }
  void leases(const etcdserverpb::LeaseLeasesRequest& req,
              Done<etcdserverpb::LeaseLeasesResponse> done) override {
    leasesMethod.call(req, std::move(done));
  }

  FakeMethod<etcdserverpb::LeaseGrantRequest, etcdserverpb::LeaseGrantResponse> grantMethod;
  FakeMethod<etcdserverpb::LeaseRevokeRequest, etcdserverpb::LeaseRevokeResponse> revokeMethod;
  FakeMethod<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>
      keepAliveMethod;
  FakeMethod<etcdserverpb::LeaseTimeToLiveRequest, etcdserverpb::LeaseTimeToLiveResponse>
      timeToLiveMethod;
  FakeMethod<etcdserverpb::LeaseLeasesRequest, etcdserverpb::LeaseLeasesResponse> leasesMethod;
};

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
    *out = std::move(queue_.front());
    queue_.pop_front();
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
    bool wasEmpty = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      wasEmpty = queue_.empty();
      queue_.push_back(std::move(response));
    }
    if (wasEmpty && notify) fireOnReady();
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
  std::deque<etcdserverpb::WatchResponse> queue_;     // guarded by mu_
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

  std::unique_ptr<WatchSession> open(std::function<void()> onReady) override {
    std::shared_ptr<FakeWatchSession> session;
    {
      std::lock_guard<std::mutex> lock(mu_);
      session = std::make_shared<FakeWatchSession>(std::move(onReady), script_);
      sessions_.push_back(session);
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

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  FakeWatchSession::RequestScript script_;                   // guarded by mu_
  std::vector<std::shared_ptr<FakeWatchSession>> sessions_;  // guarded by mu_
};

// Scripts: answer `response` (or `status`) later, on the kernel thread.
template <typename Request, typename Response>
typename FakeMethod<Request, Response>::Handler replyOn(KernelThread& kernel, Response response) {
  return [&kernel, response](const Request&, Done<Response> done) {
    kernel.post(
        [done = std::move(done), response]() mutable { done(Status::ok(), Response(response)); });
  };
}

template <typename Request, typename Response>
typename FakeMethod<Request, Response>::Handler failOn(KernelThread& kernel, Status status) {
  return [&kernel, status](const Request&, Done<Response> done) {
    kernel.post([done = std::move(done), status]() mutable { done(status, Response{}); });
  };
}

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view msg, std::string_view fields) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::string(msg) + " {" + std::string(fields) + "}");
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
};

// Spelled out at call sites whose only flag is two string literals: a bare
// {{"a", "b"}} would also read as a map built from a [const char*) range.
using Flags = std::map<std::string, std::string>;

class FakeHost final : public Host {
 public:
  explicit FakeHost(Flags flags) : flags_(std::move(flags)) {}

  KvService& kv() override { return kv_; }
  LeaseService& lease() override { return lease_; }
  WatchService& watch() override { return watch_; }
  Logger& logger() override { return logger_; }
  std::optional<std::string> flag(std::string_view name) const override {
    const auto it = flags_.find(std::string(name));
    if (it == flags_.end()) return std::nullopt;
    return it->second;
  }

  FakeKv& fakeKv() { return kv_; }
  FakeLease& fakeLease() { return lease_; }
  FakeWatch& fakeWatch() { return watch_; }
  CapturingLogger& capturedLog() { return logger_; }

 private:
  std::map<std::string, std::string> flags_;
  FakeKv kv_;
  FakeLease lease_;
  FakeWatch watch_;
  CapturingLogger logger_;
};

}  // namespace cairn::api::test
