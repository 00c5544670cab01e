// AutoCompactor: --auto-compaction-mode / --auto-compaction-retention, etcd
// 3.4's compactor on its own thread ("cairn-autocomp"). Each round follows
// AutoCompactionSchedule; a due compaction is proposed through raft like a
// client's Compact (and applied by every member), on the leader only, and
// logged with etcd's lines ("starting auto periodic compaction", ...).
//
// Threads: its own; start()/stop() from the server's lifecycle thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "auto_compaction_schedule.h"
#include "cairn/logger.h"
#include "cairn/status.h"

namespace cairn::server {

class AutoCompactor {
 public:
  struct Hooks {
    std::function<int64_t()> currentRevision;
    std::function<bool()> isLeader;
    // Compacts at `rev` through raft and waits for the answer; gives up
    // (any error) when `stopping` turns true.
    std::function<Status(int64_t rev, const std::function<bool()>& stopping)> compact;
  };

  AutoCompactor(AutoCompactionSchedule schedule, Hooks hooks, Logger& logger)
      : schedule_(std::move(schedule)), hooks_(std::move(hooks)), logger_(logger) {}
  ~AutoCompactor() { stop(); }
  AutoCompactor(const AutoCompactor&) = delete;
  AutoCompactor& operator=(const AutoCompactor&) = delete;

  void start();
  void stop();

 private:
  void loop();
  void compact(int64_t rev);
  std::string fields(int64_t rev) const;

  AutoCompactionSchedule schedule_;  // the thread's
  const Hooks hooks_;
  Logger& logger_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace cairn::server
