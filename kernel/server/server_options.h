// ServerOptions: the settings a member runs with, derived from the config.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cairn/storage.h"

namespace cairn::server {

struct ServerOptions {
  std::string name = "default";
  std::string dataDir = "default.etcd";
  std::string walDir;  // empty: <dataDir>/member/wal
  std::vector<std::string> advertisePeerUrls;
  std::vector<std::string> advertiseClientUrls;
  // name -> peer URL, as --initial-cluster (a name may appear more than once).
  std::vector<std::pair<std::string, std::string>> initialCluster;
  std::string initialClusterToken = "etcd-cluster";
  std::string initialClusterState = "new";

  uint64_t snapshotCount = 100000;
  uint64_t heartbeatIntervalMs = 100;
  uint64_t electionTimeoutMs = 1000;
  uint64_t maxRequestBytes = 1572864;
  uint32_t maxTxnOps = 128;
  bool preVote = false;
  uint32_t maxSnapshots = 5;
  uint32_t maxWals = 5;
  // Bytes per preallocated WAL segment (etcd: 64 MiB).
  uint64_t walSegmentBytes = 64ull << 20;

  // --experimental-enable-lease-checkpoint(-persist).
  bool leaseCheckpoint = false;
  bool leaseCheckpointPersist = false;
  // --experimental-watch-progress-notify-interval; etcd's 10 minutes when
  // the flag is 0.
  std::chrono::nanoseconds watchProgressNotifyInterval = std::chrono::minutes(10);

  storage::Options backendOptions;
};

}  // namespace cairn::server
