// CorruptionMonitor: --experimental-corrupt-check-time, etcd's
// monitorKVHash. Every interval, on the leader only, runs
// CorruptionCheck::periodic(); a failed check is logged and tried again
// next interval.
//
// Threads: its own ("cairn-corrupt"); start()/stop() from the server's
// lifecycle thread. stopping_ under mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "cairn/logger.h"
#include "corruption_check.h"

namespace cairn::server {

class CorruptionMonitor {
 public:
  CorruptionMonitor(CorruptionCheck check, std::chrono::nanoseconds interval,
                    std::function<bool()> isLeader, uint64_t localId, Logger& logger);
  ~CorruptionMonitor() { stop(); }
  CorruptionMonitor(const CorruptionMonitor&) = delete;
  CorruptionMonitor& operator=(const CorruptionMonitor&) = delete;

  void start();
  void stop();

 private:
  void loop();

  CorruptionCheck check_;  // the monitor thread's
  const std::chrono::nanoseconds interval_;
  const std::function<bool()> isLeader_;
  const uint64_t localId_;
  Logger& logger_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace cairn::server
