#include "corruption_monitor.h"

#include <pthread.h>

#include "config/go_values.h"
#include "member_ids.h"

namespace cairn::server {

CorruptionMonitor::CorruptionMonitor(CorruptionCheck check, std::chrono::nanoseconds interval,
                                     std::function<bool()> isLeader, uint64_t localId,
                                     Logger& logger)
    : check_(std::move(check)),
      interval_(interval),
      isLeader_(std::move(isLeader)),
      localId_(localId),
      logger_(logger) {}

void CorruptionMonitor::start() {
  logger_.info("etcdserver/corrupt.go", "enabled corruption checking",
               jsonField("local-member-id", idToHex(localId_)) + "," +
                   jsonField("interval", config::formatGoDuration(interval_.count())));
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-corrupt");
    loop();
  });
}

void CorruptionMonitor::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CorruptionMonitor::loop() {
  std::unique_lock lk(mu_);
  while (true) {
    // As etcd's time.After: the interval counts from the end of a check.
    if (wake_.wait_for(lk, interval_, [this] { return stopping_; })) return;
    if (!isLeader_()) continue;
    lk.unlock();
    Status st = check_.periodic();
    if (!st) {
      logger_.warn("etcdserver/corrupt.go", "failed to check hash KV",
                   jsonField("error", st.message()));
    }
    lk.lock();
  }
}

}  // namespace cairn::server
