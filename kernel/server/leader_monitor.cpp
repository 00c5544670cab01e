#include "leader_monitor.h"

#include "cairn/errors.h"

namespace cairn::server {

uint64_t LeaderMonitor::watch(std::function<void(const Status&)> onLost) {
  std::lock_guard lk(mu_);
  const uint64_t token = nextToken_++;
  watched_.emplace(token, std::move(onLost));
  return token;
}

void LeaderMonitor::unwatch(uint64_t token) {
  std::lock_guard lk(mu_);
  watched_.erase(token);
}

void LeaderMonitor::check() {
  const bool hasLeader = leader_() != 0;
  std::lock_guard lk(mu_);
  if (hasLeader) {
    noLeaderChecks_ = 0;
    lost_ = false;
    return;
  }
  if (++noLeaderChecks_ < kMaxNoLeaderChecks) return;
  noLeaderChecks_ = 0;
  lost_ = true;
  const Status lost(Error::NoLeader);
  for (auto& [_, onLost] : watched_) onLost(lost);
  watched_.clear();
}

void LeaderMonitor::start(std::chrono::milliseconds every) {
  thread_ = std::thread([this, every] {
    std::unique_lock lk(mu_);
    while (!wake_.wait_for(lk, every, [this] { return stopping_; })) {
      lk.unlock();
      check();
      lk.lock();
    }
  });
}

void LeaderMonitor::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cairn::server
