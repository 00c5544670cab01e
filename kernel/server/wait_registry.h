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

#include "cairn/metrics.h"
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

  // Counts waiting proposals in `pending` and failed ones in `failed`
  // (etcd's proposals_pending / proposals_failed_total). Set once, before
  // any proposal; both must outlive the registry.
  void observe(Gauge* pending, Counter* failed) {
    pending_ = pending;
    failed_ = failed;
  }

  void add(uint64_t id, ApplyDone done, Clock::time_point deadline) {
    {
      std::lock_guard lk(mu_);
      waiters_.emplace(id, Waiter{std::move(done), deadline});
    }
    if (pending_ != nullptr) pending_->add(1);
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
    ApplyDone done;
    {
      std::lock_guard lk(mu_);
      auto it = waiters_.find(id);
      if (it == waiters_.end()) return nullptr;
      done = std::move(it->second.done);
      waiters_.erase(it);
    }
    if (pending_ != nullptr) pending_->add(-1);
    return done;
  }

  // Fails `id` if still waiting (e.g. raft dropped the proposal).
  void fail(uint64_t id, const Status& st) {
    ApplyDone done = take(id);
    if (!done) return;
    if (failed_ != nullptr) failed_->inc();
    done(ApplyResult{st, nullptr});
  }

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
    if (!expired.empty()) {
      if (pending_ != nullptr) pending_->add(-static_cast<double>(expired.size()));
      if (failed_ != nullptr) failed_->inc(static_cast<double>(expired.size()));
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
  // Set by observe() before the registry is shared; read-only afterwards.
  Gauge* pending_ = nullptr;
  Counter* failed_ = nullptr;
};

}  // namespace cairn::server
