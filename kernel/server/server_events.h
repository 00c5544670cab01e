// ServerEvents: the SDK's Events facet. Applied key events are published by
// the apply loop right after each committed write (where the watch hub is
// notified, before the client is answered); leadership changes by the raft
// loop, and once to each new subscriber with the current state.
//
// Threads: subscribe from any thread. Each kind has one mutex, held while
// its callbacks run and while a subscription is added or removed, so when a
// Subscription's destructor returns its callback is not running and never
// runs again. Consequently a callback must not subscribe, nor destroy a
// subscription of the same kind (it would wait for itself): queue that work.
// Subscriptions may outlive the server (they share the channel).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "cairn/events.h"

namespace cairn::server {

class ServerEvents final : public Events {
 public:
  ServerEvents();

  std::unique_ptr<Subscription> subscribeApplied(AppliedFn fn) override;
  std::unique_ptr<Subscription> subscribeLeadership(LeadershipFn fn) override;

  // Apply loop, after a committed write at `revision`. Lock-free when nobody
  // subscribed.
  void publishApplied(int64_t revision, const std::vector<mvccpb::Event>& events);
  // Raft loop, when the leader changed.
  void publishLeadership(const Leadership& now);

 private:
  template <typename Fn>
  struct Channel {
    std::mutex mu;
    std::map<uint64_t, Fn> subscribers;  // guarded by mu
    uint64_t nextId = 1;                 // guarded by mu
    std::atomic<std::size_t> count{0};   // written under mu; read lock-free
  };
  template <typename Fn>
  class Handle;

  std::shared_ptr<Channel<AppliedFn>> applied_;
  std::shared_ptr<Channel<LeadershipFn>> leadership_;
  Leadership current_;  // guarded by leadership_->mu
};

}  // namespace cairn::server
