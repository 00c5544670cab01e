// ServerMetrics: the member's figures under etcd's metric names, so etcd's
// dashboards and alerts read Cairn unchanged. Registered once per member in
// the registry every plugin shares (Host::metrics); the member updates them
// from the thread that owns each figure (noted per field). Updates are
// lock-free atomics in the registry.
#pragma once

#include <memory>

#include "cairn/metrics.h"

namespace cairn::server {

struct ServerMetrics {
  Gauge* hasLeader = nullptr;        // raft loop (leader changes)
  Gauge* isLeader = nullptr;         // raft loop
  Counter* leaderChanges = nullptr;  // raft loop
  Gauge* committed = nullptr;        // raft loop: highest committed index handed to apply
  Gauge* applied = nullptr;          // apply loop: applied index
  Gauge* pending = nullptr;          // any thread: proposals waiting for their apply
  Counter* failed = nullptr;         // any thread: proposals that failed (timeout, no leader, ...)
  Histogram* walFsync = nullptr;     // raft loop: seconds per WAL save with fsync

  // Registers every figure in `metrics`. A name another component took with
  // another kind cannot be registered; that figure is then counted in a
  // private sink (never a null pointer to check on the hot path).
  static ServerMetrics registerIn(Metrics& metrics);
};

}  // namespace cairn::server
