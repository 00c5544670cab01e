// Lease: one lease as the lessor holds it, and the constants etcd fixes.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

namespace cairn::lease {

using TimePoint = std::chrono::steady_clock::time_point;

// "No expiry": the value every lease has on a member that is not the primary.
inline constexpr TimePoint kForever = TimePoint::max();

// The id meaning "no lease" (a key's lease field, leaseOf() of a free key).
inline constexpr int64_t kNoLease = 0;

// Largest TTL a grant accepts, in seconds (etcd's MaxLeaseTTL).
inline constexpr int64_t kMaxLeaseTtl = 9'000'000'000;

// etcd revokes at most this many leases per second; its lessor loop runs every
// 500 ms and offers at most half of it per run.
inline constexpr int kLeaseRevokeRate = 1000;
// Likewise for lease checkpoints proposed per second, and per raft entry.
inline constexpr int kLeaseCheckpointRate = 1000;
inline constexpr int kMaxLeaseCheckpointBatchSize = 1000;

struct Lease {
  int64_t id = kNoLease;
  // Granted TTL in seconds (after raising to the minimum).
  int64_t ttl = 0;
  // Last checkpointed remaining TTL in seconds; 0 means none (use ttl).
  int64_t remainingTtl = 0;
  // When the lease expires; only meaningful on the primary (kForever elsewhere).
  TimePoint expiry = kForever;
  // Keys attached to the lease.
  std::set<std::string> keys;

  // The TTL a refresh starts from: the checkpointed remainder if any.
  int64_t effectiveTtl() const { return remainingTtl > 0 ? remainingTtl : ttl; }
};

}  // namespace cairn::lease
