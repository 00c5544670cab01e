// Fakes one KV, Lease, Cluster or Maintenance method: records its calls, answers as scripted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "../common/kernel_thread.h"
#include "cairn/host.h"

namespace cairn::api::test {

using cairn::test::KernelThread;  // tests/unit/common/kernel_thread.h

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
  void call(const RequestContext& ctx, const Request& request, Done<Response> done) {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      contexts_.push_back(ctx);
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
  // The context of each call; copies share the call's CancelToken, so a
  // test sees a cancellation that happens later.
  std::vector<RequestContext> contexts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return contexts_;
  }

  // Waits until `count` requests arrived; false on timeout.
  bool waitForRequests(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;         // guarded by mu_
  std::vector<RequestContext> contexts_;  // guarded by mu_
  Handler handler_;                       // guarded by mu_
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

}  // namespace cairn::api::test
