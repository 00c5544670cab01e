// Lessor: every lease of the member, who holds which key, and (on the raft
// leader, the "primary") when each lease expires and when its remaining TTL
// should be checkpointed. Mirrors etcd 3.4's lease.lessor, minus its goroutine:
// the lessor is deterministic, takes time from an injected clock and never
// acts on its own. The server drives it:
//
//   apply loop (every member):  grant, revoke, attach, detach, applyCheckpoint,
//                               recover
//   raft/tick loop (leader):    promote, demote, renew, expiredLeases,
//                               dueCheckpoints
//   API threads:                timeToLive, leases, lookup, leaseOf
//
// Applied state (leases, ttl, remainingTtl, attached keys) changes only through
// the apply-loop calls, so it is identical on every member; expiries and the
// two schedules are local to the primary. Every public method takes `mu_`, so
// any thread may call any method; none blocks beyond that lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "lease/lease.h"

namespace cairn::lease {

using Clock = std::function<TimePoint()>;

struct LessorConfig {
  // Grants below this TTL (seconds) are raised to it; see minLeaseTtl().
  int64_t minTtl = 0;
  // --experimental-enable-lease-checkpoint: schedule checkpoints at all.
  bool checkpointEnabled = false;
  // --experimental-enable-lease-checkpoint-persist: applyCheckpoint also
  // rewrites the lease record (otherwise remainingTtl lives in memory only).
  bool checkpointPersist = false;
  // --experimental-lease-checkpoint-interval (etcd default 5 min).
  std::chrono::nanoseconds checkpointInterval = std::chrono::minutes(5);
  // How long an expired lease offered by expiredLeases() is held back before
  // it is offered again (its revoke may have been lost, e.g. to a leader
  // change). etcd's lessor default is 3 s; etcd's server passes its request
  // timeout, 5 s + 2 * election timeout.
  std::chrono::nanoseconds expiredRetryInterval = std::chrono::seconds(3);
};

struct RenewResult {
  int64_t ttl = 0;  // the lease's granted TTL, what LeaseKeepAlive returns
  // The lease had a checkpointed remaining TTL: the server must propose a
  // LeaseCheckpoint {id, remaining_TTL = 0} so every member forgets it (etcd
  // does this only with checkpointing enabled).
  bool clearCheckpoint = false;
};

struct TimeToLive {
  int64_t grantedTtl = 0;
  // Seconds until expiry, truncated toward zero as etcd's
  // int64(Remaining().Seconds()) is; may be 0 or negative for a lease that
  // expired and awaits its revoke. On a non-primary (expiry forever) this is
  // etcd's value for math.MaxInt64 ns, 9223372036.
  int64_t remaining = 0;
  std::vector<std::string> keys;  // sorted
};

struct Checkpoint {
  int64_t id = 0;
  int64_t remainingTtl = 0;
  bool operator==(const Checkpoint&) const = default;
};

class Lessor {
 public:
  explicit Lessor(LessorConfig config, Clock clock = {});

  Lessor(const Lessor&) = delete;
  Lessor& operator=(const Lessor&) = delete;

  // --- applied state (apply loop) -----------------------------------------

  // Grants lease `id` (chosen by the server, non-zero) for `ttl` seconds,
  // raised to the minimum, and adds its record to `batch`. On the primary the
  // lease starts expiring now. `granted` (optional) receives the lease.
  Status grant(int64_t id, int64_t ttl, storage::WriteBatch& batch, Lease* granted = nullptr);

  // Forgets lease `id` and adds the deletion of its record to `batch`;
  // `keys` (optional) receives its attached keys, sorted, which the server
  // deletes in the same MVCC write transaction (whose batch `batch` should be,
  // so both commit atomically, as etcd requires).
  Status revoke(int64_t id, storage::WriteBatch& batch, std::vector<std::string>* keys = nullptr);

  // Records a checkpointed remaining TTL (0 clears it). Unknown ids are
  // ignored, as in etcd (the lease may have been revoked since the proposal).
  // With checkpointPersist the record is rewritten into `batch`.
  void applyCheckpoint(int64_t id, int64_t remainingTtl, storage::WriteBatch& batch);

  // Attaches `key` to lease `id`, detaching it from any other lease first
  // (a key belongs to at most one lease). Unknown id: lease not found.
  Status attach(int64_t id, const std::string& key);
  // Detaches `key` from lease `id`. Unknown id: lease not found; a key not
  // attached to it is left alone.
  Status detach(int64_t id, const std::string& key);

  // Replaces every lease by the records of the "lease" bucket (TTLs raised to
  // the minimum, no keys, expiry forever) and becomes non-primary. The server
  // then re-attaches keys from the KV store with attach().
  Status recover(storage::ReadTxn& txn);

  // --- primary role (raft/tick loop) --------------------------------------

  // Becomes primary: every lease expires at now + extend + its effective TTL
  // (remaining if checkpointed), so no lease expires because of the time the
  // cluster had no leader. With kLeaseRevokeRate or more leases, expiries
  // that would pile up are spread out as etcd does.
  void promote(std::chrono::nanoseconds extend);
  // Stops being primary: expiries become forever, schedules are dropped.
  void demote();
  bool isPrimary() const;

  // Renews lease `id` to now + ttl. Errors: not primary, lease not found,
  // lease expiring (see errors.h).
  Status renew(int64_t id, RenewResult* out);

  // Up to `limit` (> 0) expired leases, in expiry order, for the server to
  // revoke through raft. Each one returned is offered again only after
  // expiredRetryInterval if it still exists. Empty unless primary. etcd offers
  // at most kLeaseRevokeRate / 2 every 500 ms.
  std::vector<int64_t> expiredLeases(std::size_t limit);

  // Up to `limit` due checkpoints {id, remaining TTL rounded up} for the
  // server to propose in one LeaseCheckpointRequest. A lease is scheduled
  // (every checkpointInterval) when its effective TTL exceeds the interval;
  // leases no longer below their TTL are skipped. Empty unless primary and
  // checkpointing is enabled.
  std::vector<Checkpoint> dueCheckpoints(std::size_t limit);

  // --- reads (API threads) ------------------------------------------------

  std::optional<Lease> lookup(int64_t id) const;
  // Whether lease `id` exists (cheaper than lookup: copies nothing).
  bool exists(int64_t id) const;
  Status timeToLive(int64_t id, TimeToLive* out) const;
  // Every lease as {id, ttl}, soonest expiry first (etcd lists leases so),
  // ties (every lease on a non-primary) by id.
  std::vector<std::pair<int64_t, int64_t>> leases() const;
  // The lease `key` is attached to, or kNoLease.
  int64_t leaseOf(const std::string& key) const;
  std::size_t size() const;

 private:
  using Scheduled = std::pair<TimePoint, int64_t>;  // (time, lease id)

  void refreshLocked(Lease& lease, TimePoint now, std::chrono::nanoseconds extend);
  void scheduleExpiryLocked(int64_t id, TimePoint at);
  void unscheduleExpiryLocked(int64_t id);
  void scheduleCheckpointLocked(const Lease& lease, TimePoint now);
  void spreadExpiriesLocked(TimePoint now, std::chrono::nanoseconds extend);

  const LessorConfig config_;
  const Clock clock_;

  mutable std::mutex mu_;
  bool primary_ = false;                     // guarded by mu_
  std::map<int64_t, Lease> leases_;          // guarded by mu_
  std::map<std::string, int64_t> keyLease_;  // guarded by mu_: key -> lease id
  // Expiry schedule (primary only): one entry per lease, ordered by the time
  // it is next due to be looked at, with the id -> time index to move it.
  std::set<Scheduled> expiryQueue_;         // guarded by mu_
  std::map<int64_t, TimePoint> expiryDue_;  // guarded by mu_
  // Checkpoint schedule (primary only); may hold stale or duplicate entries,
  // which dueCheckpoints() filters, as etcd's heap does.
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>>
      checkpointQueue_;  // guarded by mu_
};

}  // namespace cairn::lease
