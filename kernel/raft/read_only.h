// ReadOnly: pending ReadIndex requests on the leader.
// Threads: owned by its Raft, so by the RawNode's thread; no locks.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "raft/state_type.h"

namespace cairn::raft {

struct ReadIndexStatus {
  raftpb::Message req;
  uint64_t index = 0;
  std::set<uint64_t> acks;
};

// Requests are confirmed in order: a heartbeat quorum for one request also
// confirms every request queued before it (batching).
class ReadOnly {
 public:
  explicit ReadOnly(ReadOnlyOption option) : option_(option) {}

  ReadOnlyOption option() const { return option_; }
  // Queues m (context m.entries(0).data()) for commit index `index`.
  void addRequest(uint64_t index, const raftpb::Message& m);
  // Records an acknowledgement of ctx by id; returns the acks so far (null if
  // ctx is unknown).
  const std::set<uint64_t>* recvAck(uint64_t id, const std::string& ctx);
  // Dequeues every request up to and including ctx.
  std::vector<ReadIndexStatus> advance(const std::string& ctx);
  std::string lastPendingRequestCtx() const;

 private:
  ReadOnlyOption option_;
  std::map<std::string, ReadIndexStatus> pending_;
  std::deque<std::string> queue_;
};

}  // namespace cairn::raft
