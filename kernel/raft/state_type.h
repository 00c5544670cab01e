#pragma once

#include <cstdint>

namespace cairn::raft {

enum class StateType { Follower, Candidate, Leader, PreCandidate };

// How linearizable reads (ReadIndex) are confirmed by the leader.
enum class ReadOnlyOption {
  // A heartbeat round acknowledged by a quorum confirms leadership.
  Safe,
  // The leader trusts its lease (needs checkQuorum); depends on bounded clock
  // drift between members.
  LeaseBased,
};

const char* stateTypeName(StateType s);

}  // namespace cairn::raft
