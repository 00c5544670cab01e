// ServerMetrics: the member's figures under etcd's metric names, so etcd's
// dashboards and alerts read Cairn unchanged. Registered once per member in
// the registry every plugin shares (Host::metrics); the member updates them
// from the thread that owns each figure (noted per field). Updates are
// lock-free atomics in the registry.
#pragma once

#include <functional>
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
  Histogram* backendCommit = nullptr;  // committing thread (under the store's commit mutex)

  // Registers every figure in `metrics`. A name another component took with
  // another kind cannot be registered; that figure is then counted in a
  // private sink (never a null pointer to check on the hot path).
  static ServerMetrics registerIn(Metrics& metrics);

  // The figures read when /metrics is scraped, from parts the member owns.
  // Each runs on the scraping thread under the registry's lock and must not
  // block for long.
  struct Sources {
    std::function<double()> dbSize;        // bytes the backend takes on disk
    std::function<double()> dbSizeInUse;   // bytes holding live data
    std::function<double()> keys;          // keys alive at the current revision
    std::function<double()> watchers;      // watchers on every stream
    std::function<double()> slowWatchers;  // of those, unsynced (catching up)
  };
  // After the parts exist.
  static void attachSources(Metrics& metrics, Sources sources);
  // Before the parts go: the registry outlives the member, and a scrape
  // after this reads zeros. Returns once no scrape uses the old readers.
  static void detachSources(Metrics& metrics);
};

}  // namespace cairn::server
