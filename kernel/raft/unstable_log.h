// UnstableLog: entries and a snapshot not yet persisted by the application.
// Threads: owned by its RaftLog, so by the RawNode's thread; no locks.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cairn/raftpb.pb.h"

namespace cairn::raft {

class UnstableLog {
 public:
  // Index of the first entry if only a snapshot is held.
  std::optional<uint64_t> maybeFirstIndex() const;
  std::optional<uint64_t> maybeLastIndex() const;
  std::optional<uint64_t> maybeTerm(uint64_t i) const;
  // The application persisted entries up to i (with term t).
  void stableTo(uint64_t i, uint64_t t);
  void stableSnapTo(uint64_t i);
  void restore(const raftpb::Snapshot& s);
  // Takes the entries over (moved, not copied).
  void truncateAndAppend(std::vector<raftpb::Entry>&& ents);
  // Appends copies of entries [lo, hi) to *out; both must lie inside the
  // unstable range. Straight into the caller's vector: no temporary copy.
  void appendSlice(uint64_t lo, uint64_t hi, std::vector<raftpb::Entry>* out) const;

  std::optional<raftpb::Snapshot> snapshot;
  std::vector<raftpb::Entry> entries;
  // Index of entries[0] (or where the next entry goes).
  uint64_t offset = 0;
};

}  // namespace cairn::raft
