#pragma once

#include <cstdint>
#include <map>

#include "cairn/raftpb.pb.h"
#include "raft/progress.h"
#include "raft/ready.h"

namespace cairn::raft {

// A snapshot of a node's state for monitoring and for the server's decisions
// (who leads, which followers are caught up).
struct NodeStatus {
  uint64_t id = kNone;
  raftpb::HardState hardState;
  SoftState softState;
  uint64_t applied = 0;
  uint64_t lastIndex = 0;
  uint64_t leadTransferee = kNone;
  raftpb::ConfState confState;
  // Only filled on the leader.
  std::map<uint64_t, Progress> progress;
};

}  // namespace cairn::raft
