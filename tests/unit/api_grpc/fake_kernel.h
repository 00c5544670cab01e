// Test doubles for the kernel side of the api-grpc plugin: a Host with
// scripted flags, and a KvService that records every request and answers as
// each test scripts it, from its own "kernel" thread as the real kernel does.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
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

// Recorded requests and the scripted behaviour of one KV method.
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
  Logger& logger() override { return logger_; }
  std::optional<std::string> flag(std::string_view name) const override {
    const auto it = flags_.find(std::string(name));
    if (it == flags_.end()) return std::nullopt;
    return it->second;
  }

  FakeKv& fakeKv() { return kv_; }
  CapturingLogger& capturedLog() { return logger_; }

 private:
  std::map<std::string, std::string> flags_;
  FakeKv kv_;
  CapturingLogger logger_;
};

}  // namespace cairn::api::test
