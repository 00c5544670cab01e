// UnstableLog: entries and a snapshot not yet persisted by the application.
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
  void truncateAndAppend(const std::vector<raftpb::Entry>& ents);
  // Entries [lo, hi); both must lie inside the unstable range.
  std::vector<raftpb::Entry> slice(uint64_t lo, uint64_t hi) const;

  std::optional<raftpb::Snapshot> snapshot;
  std::vector<raftpb::Entry> entries;
  // Index of entries[0] (or where the next entry goes).
  uint64_t offset = 0;
};

}  // namespace cairn::raft
