// RaftLog: the log as raft sees it, stable (Storage) plus unstable parts.
// Threads: owned by its Raft, so by the RawNode's thread; no locks (the
// Storage behind it synchronises itself).
#pragma once

#include <cstdint>
#include <vector>

#include "raft/storage.h"
#include "raft/unstable_log.h"

namespace cairn::raft {

class RaftLog {
 public:
  RaftLog(Storage* storage, uint64_t maxNextEntsSize);

  // Appends ents after (index, logTerm) if that entry matches; returns the
  // index of the last new entry, or nullopt on mismatch.
  std::optional<uint64_t> maybeAppend(uint64_t index, uint64_t logTerm, uint64_t committed,
                                      const std::vector<raftpb::Entry>& ents);
  // By value: a caller that hands its entries over (the leader's proposals)
  // moves them into the unstable log instead of copying them.
  uint64_t append(std::vector<raftpb::Entry> ents);
  uint64_t findConflict(const std::vector<raftpb::Entry>& ents) const;

  std::vector<raftpb::Entry> unstableEntries() const { return unstable_.entries; }
  // Committed entries not yet applied (size-limited).
  std::vector<raftpb::Entry> nextEnts() const;
  bool hasNextEnts() const;
  bool hasPendingSnapshot() const { return unstable_.snapshot.has_value(); }
  const raftpb::Snapshot* pendingSnapshot() const {
    return unstable_.snapshot ? &*unstable_.snapshot : nullptr;
  }
  Status snapshot(raftpb::Snapshot* out) const;

  uint64_t firstIndex() const;
  uint64_t lastIndex() const;
  uint64_t lastTerm() const;
  // Term of entry i: 0 for indexes outside [firstIndex-1, lastIndex];
  // kErrCompacted / kErrUnavailable from storage are passed up.
  Status term(uint64_t i, uint64_t* out) const;
  // Term, or 0 if the entry was compacted.
  uint64_t termOrZero(uint64_t i) const;
  bool matchTerm(uint64_t i, uint64_t t) const;
  bool isUpToDate(uint64_t lasti, uint64_t t) const;

  Status entries(uint64_t i, uint64_t maxSize, std::vector<raftpb::Entry>* out) const;
  // Entries [lo, hi) limited to maxSize bytes (at least one).
  Status slice(uint64_t lo, uint64_t hi, uint64_t maxSize, std::vector<raftpb::Entry>* out) const;

  void commitTo(uint64_t toCommit);
  bool maybeCommit(uint64_t maxIndex, uint64_t t);
  void appliedTo(uint64_t i);
  void stableTo(uint64_t i, uint64_t t) { unstable_.stableTo(i, t); }
  void stableSnapTo(uint64_t i) { unstable_.stableSnapTo(i); }
  void restore(const raftpb::Snapshot& s);

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  void setCommittedForBootstrap(uint64_t c) { committed_ = c; }

 private:
  Status checkOutOfBounds(uint64_t lo, uint64_t hi) const;

  Storage* storage_;
  UnstableLog unstable_;
  // Highest index known committed on a quorum.
  uint64_t committed_ = 0;
  // Highest index the application applied (applied_ <= committed_).
  uint64_t applied_ = 0;
  uint64_t maxNextEntsSize_;
};

// Keeps the longest prefix of ents whose total size is <= maxSize, but at
// least one entry.
void limitSize(std::vector<raftpb::Entry>* ents, uint64_t maxSize);

// How many of the n entries at `ents`, following `used` bytes already taken,
// limitSize would keep (at least one when nothing was taken yet). Lets a
// caller copy only those: a range of large entries must not be copied whole
// to return its first few (etcd slices without copying).
std::size_t countWithinSize(const raftpb::Entry* ents, std::size_t n, uint64_t maxSize,
                            uint64_t used = 0, bool anyTaken = false);

}  // namespace cairn::raft
