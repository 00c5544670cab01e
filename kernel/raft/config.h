#pragma once

#include <cstdint>

#include "cairn/status.h"
#include "raft/errors.h"
#include "raft/state_type.h"
#include "raft/storage.h"

namespace cairn::raft {

struct Config {
  // This node's id; never kNone.
  uint64_t id = 0;
  // Ticks a follower waits without hearing from a leader before campaigning
  // (randomized in [electionTick, 2*electionTick)).
  int electionTick = 10;
  // Ticks between leader heartbeats. Must be < electionTick.
  int heartbeatTick = 1;
  // The log. Not owned; must outlive the node.
  Storage* storage = nullptr;
  // Last applied index, on restart. Committed entries <= applied are not
  // returned again. The configuration is read from the storage's snapshot
  // ConfState; conf-change entries after the snapshot take effect only when
  // re-applied, so applied should not pass the last snapshot index unless the
  // application restores the configuration by other means.
  uint64_t applied = 0;
  // Max bytes of entries in one MsgApp (0: one entry per message).
  uint64_t maxSizePerMsg = 1024 * 1024;
  // Max bytes of committed entries in one Ready (0: maxSizePerMsg).
  uint64_t maxCommittedSizePerReady = 0;
  // Max bytes of proposed but uncommitted entry payloads on the leader
  // (0: no limit). Past it proposals are dropped.
  uint64_t maxUncommittedEntriesSize = 0;
  // Max MsgApp in flight per follower in replicate state.
  int maxInflightMsgs = 256;
  // The leader steps down when it has not heard from a quorum for an election
  // timeout; followers ignore votes while they have a live leader.
  bool checkQuorum = false;
  // Pre-vote phase (Raft thesis 9.6) so a rejoining partitioned node does not
  // disrupt the cluster by bumping terms.
  bool preVote = false;
  ReadOnlyOption readOnlyOption = ReadOnlyOption::Safe;
  // Followers drop proposals instead of forwarding them to the leader.
  bool disableProposalForwarding = false;
  // Seed of the PRNG behind randomized election timeouts (mixed with id, so
  // members sharing a seed still get different timeouts). Deterministic.
  uint64_t randomSeed = 0;

  Status validate() const;
};

}  // namespace cairn::raft
