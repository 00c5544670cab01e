// The minimum lease TTL a member grants, as etcd derives it from its raft
// timing flags.
#pragma once

#include <cstdint>

namespace cairn::lease {

// etcd: electionTicks = electionMs / heartbeatMs (integer division), and the
// minimum TTL is ceil(((3 * electionTicks) / 2) * heartbeat) in seconds, again
// with integer division, so that a lease outlives a leader election. With the
// default flags (100 ms, 1000 ms) that is ceil(1.5 s) = 2 s. Returns 0 (no
// minimum) for a non-positive heartbeat, which flag validation rejects anyway.
int64_t minLeaseTtl(int64_t electionTimeoutMs, int64_t heartbeatMs);

}  // namespace cairn::lease
