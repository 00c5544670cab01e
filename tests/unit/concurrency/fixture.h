// The plugin's core and services over a FakeHost, with blocking helpers.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "core.h"
#include "fake_host.h"
#include "services.h"
#include "v3electionpb/v3election.pb.h"
#include "v3lockpb/v3lock.pb.h"

namespace cairn::concurrency::test {

template <typename Response>
using Answer = std::pair<Status, Response>;

struct Fixture {
  FakeHost host;  // destroyed last: the core stops before the kernel goes
  std::shared_ptr<Core> core = std::make_shared<Core>();
  ServiceDef lock = lockService(core);
  ServiceDef election = electionService(core);

  Fixture() { REQUIRE(core->start(host)); }
  ~Fixture() { core->stop(); }

  // Starts a unary call; the future holds its answer.
  template <typename Response, typename Request>
  std::future<Answer<Response>> start(ServiceDef& def, const std::string& method,
                                      const Request& req, RequestContext ctx = {}) {
    auto p = std::make_shared<std::promise<Answer<Response>>>();
    auto f = p->get_future();
    def.unary.at(method)(ctx, req, [p](Status st, std::unique_ptr<google::protobuf::Message> m) {
      Response r;
      if (m) r = static_cast<Response&>(*m);
      p->set_value({st, std::move(r)});
    });
    return f;
  }

  template <typename Response, typename Request>
  Answer<Response> call(ServiceDef& def, const std::string& method, const Request& req,
                        RequestContext ctx = {}) {
    auto f = start<Response>(def, method, req, ctx);
    REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    return f.get();
  }

  Answer<v3lockpb::LockResponse> lockNow(const std::string& name, int64_t lease) {
    v3lockpb::LockRequest req;
    req.set_name(name);
    req.set_lease(lease);
    return call<v3lockpb::LockResponse>(lock, "Lock", req);
  }
  std::future<Answer<v3lockpb::LockResponse>> lockLater(const std::string& name, int64_t lease,
                                                        RequestContext ctx = {}) {
    v3lockpb::LockRequest req;
    req.set_name(name);
    req.set_lease(lease);
    return start<v3lockpb::LockResponse>(lock, "Lock", req, ctx);
  }
  Answer<v3lockpb::UnlockResponse> unlock(const std::string& key) {
    v3lockpb::UnlockRequest req;
    req.set_key(key);
    return call<v3lockpb::UnlockResponse>(lock, "Unlock", req);
  }

  // Waits until `n` watch sessions are open: an Observe call has read the
  // election and watches it, so later writes reach it as events.
  void waitForSessions(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (host.store.openSessions() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(host.store.openSessions() >= n);
  }

  // Lets the plugin's loop and the kernel thread settle.
  void settle(std::chrono::milliseconds d = std::chrono::milliseconds(150)) {
    std::this_thread::sleep_for(d);
    host.store.drain();
  }
};

template <typename T>
bool pending(std::future<T>& f) {
  return f.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready;
}

template <typename T>
T await(std::future<T>& f) {
  REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  return f.get();
}

}  // namespace cairn::concurrency::test
