#include "raft/config.h"

namespace cairn::raft {

Status Config::validate() const {
  auto bad = [](const char* msg) { return Status(StatusCode::InvalidArgument, msg); };
  if (id == kNone) return bad("raft: cannot use none as id");
  if (heartbeatTick <= 0) return bad("raft: heartbeat tick must be greater than 0");
  if (electionTick <= heartbeatTick) {
    return bad("raft: election tick must be greater than heartbeat tick");
  }
  if (storage == nullptr) return bad("raft: storage cannot be nil");
  if (maxInflightMsgs <= 0) return bad("raft: max inflight messages must be greater than 0");
  if (readOnlyOption == ReadOnlyOption::LeaseBased && !checkQuorum) {
    return bad("raft: checkQuorum must be enabled when readOnlyOption is LeaseBased");
  }
  return Status::ok();
}

}  // namespace cairn::raft
