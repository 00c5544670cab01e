// StartupGate: Server::start() returns once this member leads and has
// applied everything that was committed when it became leader (its own
// empty entry included), so the first request sees every earlier write.
//
// Threads: the raft loop sets the index to reach (once), the apply loop
// reports progress, start() waits, stop() aborts the wait. Everything is
// guarded by mu_; `known_` lets the raft loop skip the lock on every Ready
// once the index is set.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace cairn::server {

class StartupGate {
 public:
  explicit StartupGate(uint64_t appliedIndex) : applied_(appliedIndex) {}

  // Raft loop: true until leaderAt() was called.
  bool needsIndex() const { return !known_.load(std::memory_order_acquire); }
  // Raft loop, when this member leads: everything up to `lastIndex` must be
  // applied before serving.
  void leaderAt(uint64_t lastIndex) {
    std::lock_guard lk(mu_);
    if (readyIndex_ != 0) return;
    readyIndex_ = lastIndex;
    known_.store(true, std::memory_order_release);
    if (applied_ >= readyIndex_) {
      ready_ = true;
      cv_.notify_all();
    }
  }
  // Apply loop, after applying up to `index`.
  void onApplied(uint64_t index) {
    std::lock_guard lk(mu_);
    applied_ = index;
    if (!ready_ && readyIndex_ != 0 && applied_ >= readyIndex_) {
      ready_ = true;
      cv_.notify_all();
    }
  }
  // start(): true once ready; false at `deadline` or after abort().
  bool wait(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lk(mu_);
    cv_.wait_until(lk, deadline, [this] { return ready_ || aborted_; });
    return ready_;
  }
  // stop(): wakes a waiting start().
  void abort() {
    std::lock_guard lk(mu_);
    aborted_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t applied_;                // guarded by mu_
  uint64_t readyIndex_ = 0;         // guarded by mu_; 0 until known
  bool ready_ = false;              // guarded by mu_
  bool aborted_ = false;            // guarded by mu_
  std::atomic<bool> known_{false};  // written under mu_, read lock-free by the raft loop
};

}  // namespace cairn::server
