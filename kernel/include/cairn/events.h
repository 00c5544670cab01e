// Events: what plugins can follow without polling. Applied key events (the
// Lua hooks, elections) and leadership changes (work that runs on the leader
// only: hooks, lease expiry).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "mvccpb/kv.pb.h"

namespace cairn {

// Unsubscribes when destroyed. After the destructor returns the callback is
// not running and will not run again.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

struct Leadership {
  uint64_t leaderId = 0;  // 0: no leader known
  uint64_t term = 0;
  bool isLeader = false;  // this member leads
};

class Events {
 public:
  virtual ~Events() = default;
  // Every committed write's events with their revision, in revision order,
  // on the apply loop right after the write is applied (before its client is
  // answered). Must be quick and must not block or call back into the kernel
  // synchronously: queue the work. Events of revisions before the
  // subscription are not replayed (read them from history with a watch).
  // A PUT event carries no prev_kv (a DELETE's carries the deleted state);
  // watch with prev_kv to get it.
  using AppliedFn = std::function<void(int64_t revision, const std::vector<mvccpb::Event>& events)>;
  virtual std::unique_ptr<Subscription> subscribeApplied(AppliedFn fn) = 0;
  // Leadership changes, on the raft loop; called once at subscription with
  // the current state. The same rules as above.
  using LeadershipFn = std::function<void(const Leadership&)>;
  virtual std::unique_ptr<Subscription> subscribeLeadership(LeadershipFn fn) = 0;
};

}  // namespace cairn
