// ServerOptions: the settings a member runs with, derived from the parsed
// configuration by serverOptionsFrom(). The values' defaults live in one
// place, the kernel's flag table (kernel/config/flag_spec.cpp); this struct
// has none of its own, so a test that wants defaults parses an empty command
// line (defaultServerOptions()).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cairn/storage.h"
#include "config/config.h"
#include "transport/peer_tls_options.h"

namespace cairn::server {

struct ServerOptions {
  std::string name;
  std::string dataDir;
  std::string walDir;  // empty: <dataDir>/member/wal
  std::vector<std::string> advertisePeerUrls;
  std::vector<config::Url> listenPeerUrls;  // bound by every member, a single one too
  std::vector<std::string> advertiseClientUrls;
  // name -> peer URL, as --initial-cluster (a name may appear more than once).
  std::vector<std::pair<std::string, std::string>> initialCluster;
  std::string initialClusterToken;
  std::string initialClusterState;

  uint64_t snapshotCount = 0;
  // Entries kept in raft's log behind a snapshot, so a follower that lags
  // less than this catches up by entries rather than by a snapshot.
  uint64_t snapshotCatchUpEntries = 5000;
  uint64_t heartbeatIntervalMs = 0;
  uint64_t electionTimeoutMs = 0;
  uint64_t maxRequestBytes = 0;
  uint32_t maxTxnOps = 0;
  bool preVote = false;
  bool strictReconfigCheck = true;  // refuse changes that would lose quorum
  uint32_t maxSnapshots = 0;
  uint32_t maxWals = 0;
  // Bytes per preallocated WAL segment: etcd's fixed 64 MiB (not a flag);
  // tests make it smaller.
  uint64_t walSegmentBytes = 64ull << 20;

  // --experimental-enable-lease-checkpoint(-persist).
  bool leaseCheckpoint = false;
  bool leaseCheckpointPersist = false;
  // --experimental-watch-progress-notify-interval (etcd's 10 minutes when
  // the flag is 0).
  std::chrono::nanoseconds watchProgressNotifyInterval{0};

  // --experimental-initial-corrupt-check and
  // --experimental-corrupt-check-time (0: no periodic check).
  bool initialCorruptCheck = false;
  std::chrono::nanoseconds corruptCheckTime{0};

  // --quota-backend-bytes as given (0: etcd's default 2 GiB; negative:
  // no quota).
  int64_t quotaBackendBytes = 0;
  // --auto-compaction-mode and the parsed --auto-compaction-retention
  // (nanoseconds or revisions; 0: no auto compaction).
  std::string autoCompactionMode;
  int64_t autoCompactionRetention = 0;

  // The --peer-* TLS flags (listenUrls: --listen-peer-urls).
  transport::PeerTlsOptions peerTls;

  storage::Options backendOptions;
};

// The member's options from the parsed configuration.
ServerOptions serverOptionsFrom(const config::Config& cfg);
// Every option at its flag default (an empty command line, no environment).
ServerOptions defaultServerOptions();

}  // namespace cairn::server
