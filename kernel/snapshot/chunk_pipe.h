// ChunkPipe: a bounded hand-off of byte chunks between two threads, to join
// a push-style producer (Backend::exportState's sink, a bbolt walk) to a
// pull-style consumer (StreamDecoder's source, Backend::importState) without
// holding the whole stream in memory.
//
// Threads: one producer and one consumer; mu_ guards the queue and flags.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace cairn::snapshot {

class ChunkPipe {
 public:
  // Producer: blocks while full; false once the consumer abandoned the pipe.
  bool push(std::string_view chunk) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return queue_.size() < kMaxChunks || abandoned_; });
    if (abandoned_) return false;
    queue_.emplace_back(chunk);
    cv_.notify_all();
    return true;
  }
  // Producer: no more chunks.
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // Consumer: the next chunk; false at the end.
  bool pop(std::string& chunk) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !queue_.empty() || closed_ || abandoned_; });
    if (queue_.empty()) return false;
    chunk = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  // Consumer: stop; a blocked or later push() returns false.
  void abandon() {
    std::lock_guard lk(mu_);
    abandoned_ = true;
    queue_.clear();
    cv_.notify_all();
  }

 private:
  static constexpr std::size_t kMaxChunks = 16;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  bool closed_ = false;            // guarded by mu_
  bool abandoned_ = false;         // guarded by mu_
};

}  // namespace cairn::snapshot
