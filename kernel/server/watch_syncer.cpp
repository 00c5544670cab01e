#include "watch_syncer.h"

#include <pthread.h>

namespace cairn::server {
namespace {

// Keys of history one catch-up round reads at most, so one far-behind
// watcher cannot hold the thread (and the others) for long.
constexpr std::size_t kWatchSyncHistoryKeys = 10000;
constexpr auto kWatchSyncInterval = std::chrono::milliseconds(100);
constexpr auto kWatchSyncBusyInterval = std::chrono::milliseconds(10);

}  // namespace

void WatchSyncer::start() {
  hub_.setSyncKick([this] {
    {
      std::lock_guard lk(mu_);
      kicked_ = true;
    }
    cv_.notify_one();
  });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-watch");
    loop();
  });
}

void WatchSyncer::stop() {
  hub_.setSyncKick(nullptr);
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WatchSyncer::loop() {
  using Clock = std::chrono::steady_clock;
  auto nextProgress = Clock::now() + progressInterval_;
  std::unique_lock lk(mu_);
  while (!stop_) {
    kicked_ = false;
    lk.unlock();
    const std::size_t lagging = hub_.syncUnsynced(kWatchSyncHistoryKeys);
    const auto now = Clock::now();
    if (now >= nextProgress) {
      hub_.progressTick();
      nextProgress = now + progressInterval_;
    }
    lk.lock();
    cv_.wait_for(lk, lagging > 0 ? kWatchSyncBusyInterval : kWatchSyncInterval,
                 [this] { return stop_ || kicked_; });
  }
}

}  // namespace cairn::server
