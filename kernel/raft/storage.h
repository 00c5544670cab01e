// Storage: the read side of the raft log, owned by the application.
#pragma once

#include <cstdint>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"

namespace cairn::raft {

// Raft reads its stable log through this interface. Entries handed out in a
// Ready are appended by the application after it has persisted them. Any
// error other than kErrCompacted / kErrUnavailable (/ kErrSnapshotTemporarily-
// Unavailable for snapshot()) makes raft stop with a RaftInvariantError.
class Storage {
 public:
  virtual ~Storage() = default;
  // The saved HardState and the ConfState of the latest snapshot.
  virtual Status initialState(raftpb::HardState* hs, raftpb::ConfState* cs) = 0;
  // Entries in [lo, hi), at least one if any exists, total size bounded by
  // maxSize otherwise.
  virtual Status entries(uint64_t lo, uint64_t hi, uint64_t maxSize,
                         std::vector<raftpb::Entry>* out) = 0;
  // Term of entry i, which must be in [firstIndex()-1, lastIndex()]; the term
  // of firstIndex()-1 is kept so log matching works across compaction.
  virtual Status term(uint64_t i, uint64_t* out) = 0;
  // Index of the first entry still available (older ones are in a snapshot).
  virtual uint64_t firstIndex() = 0;
  virtual uint64_t lastIndex() = 0;
  // The most recent snapshot.
  virtual Status snapshot(raftpb::Snapshot* out) = 0;
};

}  // namespace cairn::raft
