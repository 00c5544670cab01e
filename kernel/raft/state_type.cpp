#include "raft/state_type.h"

namespace cairn::raft {

const char* stateTypeName(StateType s) {
  switch (s) {
    case StateType::Follower:
      return "StateFollower";
    case StateType::Candidate:
      return "StateCandidate";
    case StateType::Leader:
      return "StateLeader";
    case StateType::PreCandidate:
      return "StatePreCandidate";
  }
  return "StateUnknown";
}

}  // namespace cairn::raft
