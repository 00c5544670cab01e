// WaitRegistry: proposals waiting for their entry to be applied, by request id.
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cairn/status.h"

namespace cairn::server {

// What the apply loop hands back to a proposer: the status and, on success,
// the response message of the type the proposer asked for.
struct ApplyResult {
  Status status;
  std::unique_ptr<google::protobuf::Message> response;
};
using ApplyDone = std::function<void(ApplyResult&&)>;

class WaitRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  void add(uint64_t id, ApplyDone done, Clock::time_point deadline) {
    std::lock_guard lk(mu_);
    waiters_.emplace(id, Waiter{std::move(done), deadline});
  }

  // Completes the waiter for `id` if this member proposed it; entries
  // proposed elsewhere (or before a restart) have no waiter.
  void trigger(uint64_t id, ApplyResult&& result) {
    ApplyDone done = take(id);
    if (done) done(std::move(result));
  }

  // Removes and returns the waiter for `id` (null if none), for a caller
  // that completes it elsewhere.
  ApplyDone take(uint64_t id) {
    std::lock_guard lk(mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return nullptr;
    ApplyDone done = std::move(it->second.done);
    waiters_.erase(it);
    return done;
  }

  // Fails `id` if still waiting (e.g. raft dropped the proposal).
  void fail(uint64_t id, const Status& st) { trigger(id, ApplyResult{st, nullptr}); }

  // Fails every waiter past its deadline with `st`.
  void expire(Clock::time_point now, const Status& st) {
    std::vector<ApplyDone> expired;
    {
      std::lock_guard lk(mu_);
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->second.deadline <= now) {
          expired.push_back(std::move(it->second.done));
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& d : expired) d(ApplyResult{st, nullptr});
  }

  void failAll(const Status& st) { expire(Clock::time_point::max(), st); }

 private:
  struct Waiter {
    ApplyDone done;
    Clock::time_point deadline;
  };
  std::mutex mu_;
  std::unordered_map<uint64_t, Waiter> waiters_;  // guarded by mu_
};

}  // namespace cairn::server
