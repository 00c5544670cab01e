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
      if (spareNodes_.empty()) {
        waiters_.emplace(id, Waiter{std::move(done), deadline});
      } else {
        Waiters::node_type node = std::move(spareNodes_.back());
        spareNodes_.pop_back();
        node.key() = id;
        node.mapped() = Waiter{std::move(done), deadline};
        waiters_.insert(std::move(node));
      }
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
      Waiters::node_type node = waiters_.extract(it);
      done = std::move(node.mapped().done);
      if (spareNodes_.size() < kSpareNodes) spareNodes_.push_back(std::move(node));
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
  using Waiters = std::unordered_map<uint64_t, Waiter>;
  // Emptied nodes kept for the next proposals: every request added and
  // took one, an allocation on the proposing thread and a free on the apply
  // thread's side, where glibc pays for memory another thread handed it.
  static constexpr std::size_t kSpareNodes = 1024;
  std::mutex mu_;
  Waiters waiters_;                             // guarded by mu_
  std::vector<Waiters::node_type> spareNodes_;  // guarded by mu_; at most kSpareNodes
  // Set by observe() before the registry is shared; read-only afterwards.
  Gauge* pending_ = nullptr;
  Counter* failed_ = nullptr;
};

}  // namespace cairn::server
