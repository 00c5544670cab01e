// LeaseDriver: the time-driven half of leases (etcd's lessor run loop,
// revokeExpiredLeases and the wait inside LeaseRenew), on its own thread
// "cairn-lease" so neither raft loop nor apply loop ever waits on it.
//
// While this member leads (its lessor is primary) it proposes, every
// kTickInterval:
//  - LeaseRevoke for expired leases, at most kLeaseRevokeRate per second and
//    at most that many revokes in flight, so thousands of leases expiring at
//    once become a steady trickle of raft entries interleaved with client
//    writes instead of a burst that stalls them;
//  - LeaseCheckpoint batches (only with --experimental-enable-lease-checkpoint).
// It also completes keep-alives that must wait: renewing a lease that has
// expired but whose revoke has not applied yet waits for the revoke (then:
// not found), as etcd's Renew blocks; so does a renewal arriving before the
// lessor became primary.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "cairn/logger.h"
#include "cairn/status.h"
#include "lease/lessor.h"

namespace cairn::server {

class RaftNode;

class LeaseDriver {
 public:
  using RenewDone = std::function<void(const Status&, int64_t ttl)>;

  static constexpr std::chrono::milliseconds kTickInterval{100};

  // Proposes through `raft` (trusted: no identity in the header).
  LeaseDriver(RaftNode& raft, lease::Lessor& lessor, Logger& logger);
  ~LeaseDriver();
  LeaseDriver(const LeaseDriver&) = delete;
  LeaseDriver& operator=(const LeaseDriver&) = delete;

  void start();
  // Joins the thread; waiting renewals fail with "etcdserver: server stopped".
  void stop();

  // etcd's LeaseRenew on the leader: `done` gets the lease's TTL, or
  // "requested lease not found" (also when the lease expired and its revoke
  // applied meanwhile), or "request timed out". Runs `done` on the calling
  // thread when the answer is immediate, else on the driver thread.
  void renew(int64_t id, RenewDone done);

 private:
  struct PendingRenew {
    int64_t id;
    RenewDone done;
    std::chrono::steady_clock::time_point deadline;
  };

  void loop();
  // True if `done` was called (answered); false to retry later.
  bool tryRenew(int64_t id, const RenewDone& done);
  void revokeExpired(std::size_t budget);
  void proposeCheckpoints();
  void retryRenewals();

  RaftNode& raft_;
  lease::Lessor& lessor_;  // internally synchronised
  Logger& logger_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                  // guarded by mu_
  std::vector<PendingRenew> pending_;  // guarded by mu_
  // Revokes proposed and not yet answered; any thread (proposal callbacks).
  std::atomic<int> revokesInFlight_{0};
};

}  // namespace cairn::server
