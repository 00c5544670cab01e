// LeaderMonitor: ends the streams of clients that require a leader once the
// member has had none for a while, as etcd's stream interceptor does for
// clientv3.WithRequireLeader (Kubernetes watches with it, so that a watch on
// a member cut off from the cluster fails over to another member instead of
// silently receiving nothing). etcd checks every election timeout and
// cancels every such stream with "etcdserver: no leader" after three checks
// in a row found no leader; so does this.
//
// check() is the clock-free logic (tests call it directly); start() runs it
// on a thread of its own every election timeout.
//
// Threads: watch()/unwatch() from any thread; callbacks run on the checking
// thread under mu_, so once unwatch() returned the callback never runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "cairn/status.h"

namespace cairn::server {

class LeaderMonitor {
 public:
  // Checks in a row without a leader after which the streams end (etcd's
  // maxNoLeaderCnt).
  static constexpr int kMaxNoLeaderChecks = 3;

  explicit LeaderMonitor(std::function<uint64_t()> leader) : leader_(std::move(leader)) {}
  ~LeaderMonitor() { stop(); }
  LeaderMonitor(const LeaderMonitor&) = delete;
  LeaderMonitor& operator=(const LeaderMonitor&) = delete;

  // `onLost` runs once, with Error::NoLeader, when the streams are ended.
  // Returns a token for unwatch().
  uint64_t watch(std::function<void(const Status&)> onLost);
  void unwatch(uint64_t token);

  // One check: counts a check without a leader, and ends every watched
  // stream (forgetting them) on the kMaxNoLeaderChecks-th in a row.
  void check();

  // True from the check that ended the streams until a check finds a
  // leader again: streams that cannot be watched (a LeaseKeepAlive's, which
  // the SDK hands over message by message) end at their next message.
  bool leaderLost() const { return lost_.load(); }

  void start(std::chrono::milliseconds every);
  void stop();

 private:
  const std::function<uint64_t()> leader_;
  std::mutex mu_;
  std::condition_variable wake_;                                    // stop() signals
  std::map<uint64_t, std::function<void(const Status&)>> watched_;  // guarded by mu_
  uint64_t nextToken_ = 1;                                          // guarded by mu_
  int noLeaderChecks_ = 0;                                          // guarded by mu_
  bool stopping_ = false;                                           // guarded by mu_
  std::atomic<bool> lost_{false};  // written under mu_ by check(), read anywhere
  std::thread thread_;             // started and joined by the owner's lifecycle thread
};

}  // namespace cairn::server
