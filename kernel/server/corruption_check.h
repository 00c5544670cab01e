// CorruptionCheck: etcd 3.4's corruption checks (etcdserver/corrupt.go),
// comparing this member's HashKV with its peers' at the same revision.
//
//   initial()   --experimental-initial-corrupt-check, before a member with
//               data serves anything (etcd's CheckInitialHashKV): a peer
//               whose hash differs at the same compacted revision fails
//               the start with "<id> found data inconsistency with peers";
//               unreachable, compacted or lagging peers are logged and
//               skipped.
//   periodic()  --experimental-corrupt-check-time, on the leader (etcd's
//               checkHashKV): its own hash before and after a linearizable
//               read, then each follower's revision, compacted revision and
//               hash; any disagreement raises CORRUPT through raft, once per
//               check, with member id 0 as etcd 3.4.23 does ("it isn't clear
//               which member's data is corrupted").
//
// Logic only: the peers (HashKvPeers), the local hash, the member list, the
// read barrier and the alarm are given, so tests drive it with fakes.
// Threads: one caller at a time (start(), then the CorruptionMonitor's).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/logger.h"
#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "transport/hashkv_query.h"

namespace cairn::server {

// How the checks reach a peer: HashKV at `revision` from one of its peer
// URLs. Error::Compacted / Error::FutureRev as the peer's store answered.
class HashKvPeers {
 public:
  virtual ~HashKvPeers() = default;
  virtual Status hashKv(const std::string& endpoint, int64_t revision,
                        transport::HashKvAnswer* out) = 0;
};

class CorruptionCheck {
 public:
  struct Parts {
    uint64_t localId = 0;
    Logger* logger = nullptr;
    HashKvPeers* peers = nullptr;
    // This member's HashKV at its current revision (etcd's HashByRev(0)).
    std::function<Status(transport::HashKvAnswer*)> localHash;
    // Every member (this one included) with its peer URLs.
    std::function<std::vector<std::pair<uint64_t, std::vector<std::string>>>()> members;
    // periodic() only: a linearizable read barrier (etcd's
    // linearizableReadNotify) and the proposal of an alarm.
    std::function<Status()> linearizableRead;
    std::function<void(const etcdserverpb::AlarmRequest&)> raiseAlarm;
    // etcd's ReqTimeout, logged by initial().
    std::string timeoutText;
  };

  // One peer's outcome: an answer, or the last endpoint's error.
  struct PeerHashKv {
    uint64_t id = 0;
    std::vector<std::string> endpoints;
    bool answered = false;
    transport::HashKvAnswer answer;
    Status error;
  };

  explicit CorruptionCheck(Parts parts) : p_(std::move(parts)) {}

  Status initial();
  Status periodic();

  // etcd's getPeerHashKVs: every other member with peer URLs, each URL in
  // turn until one answers (failures logged).
  std::vector<PeerHashKv> peerHashKvs(int64_t revision);

 private:
  Parts p_;
};

}  // namespace cairn::server
