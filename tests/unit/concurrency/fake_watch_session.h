// Fakes a kernel watch stream over the FakeStore's key space (defined in fake_watch_session.cpp).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cairn/host.h"

namespace cairn::concurrency::test {

class FakeStore;

class FakeWatchSession final : public WatchSession {
 public:
  FakeWatchSession(FakeStore& store, std::function<void()> onReady)
      : store_(store), onReady_(std::move(onReady)) {}
  ~FakeWatchSession() override { close(); }
  void request(const etcdserverpb::WatchRequest& req) override;
  bool poll(etcdserverpb::WatchResponse* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) return false;
    *out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  void close() override;

  struct Watcher {
    std::string key, end;
    int64_t fromRev = 0;
  };
  // Store thread, store lock held: events of one revision.
  void deliver(int64_t revision, const std::vector<mvccpb::Event>& events);
  void push(etcdserverpb::WatchResponse resp);  // queues and signals like the kernel

 private:
  FakeStore& store_;
  std::mutex mu_;
  std::function<void()> onReady_;                  // guarded by mu_ (called under it)
  std::deque<etcdserverpb::WatchResponse> queue_;  // guarded by mu_
  std::map<int64_t, Watcher> watchers_;            // guarded by the store's lock
  bool closed_ = false;                            // guarded by mu_
  friend class FakeStore;
};

}  // namespace cairn::concurrency::test
