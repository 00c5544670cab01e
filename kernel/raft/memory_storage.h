// MemoryStorage: a Storage kept in memory, used by tests and as the raft
// log cache in front of the WAL.
#pragma once

#include <mutex>
#include <vector>

#include "raft/errors.h"
#include "raft/storage.h"

namespace cairn::raft {

// Thread-safe: the raft loop reads while the application appends; every
// member below is guarded by mu_.
class MemoryStorage : public Storage {
 public:
  MemoryStorage();

  Status initialState(raftpb::HardState* hs, raftpb::ConfState* cs) override;
  Status entries(uint64_t lo, uint64_t hi, uint64_t maxSize,
                 std::vector<raftpb::Entry>* out) override;
  Status term(uint64_t i, uint64_t* out) override;
  uint64_t firstIndex() override;
  uint64_t lastIndex() override;
  Status snapshot(raftpb::Snapshot* out) override;

  void setHardState(const raftpb::HardState& hs);
  raftpb::HardState hardState();
  // Replaces the whole content with the snapshot (kErrSnapOutOfDate if older).
  Status applySnapshot(const raftpb::Snapshot& snap);
  // Makes a snapshot at applied index `index` (cs may be null to keep the
  // current ConfState) that later snapshot() calls return.
  Status createSnapshot(uint64_t index, const raftpb::ConfState* cs, const std::string& data,
                        raftpb::Snapshot* out);
  // Discards entries before `compactIndex` (which stays as the dummy entry).
  Status compact(uint64_t compactIndex);
  // Appends entries, replacing any conflicting suffix. Entries must be
  // contiguous and must not leave a gap after the current last index.
  Status append(const std::vector<raftpb::Entry>& entries);
  // The same, moving the entries in rather than copying them.
  Status append(std::vector<raftpb::Entry>&& entries);

 private:
  // append()'s common part: where `entries` go, after dropping the
  // compacted prefix (`*skip` of them) and a conflicting suffix.
  Status prepareAppend(const std::vector<raftpb::Entry>& entries, std::size_t* skip);
  uint64_t firstIndexLocked() const;
  uint64_t lastIndexLocked() const;

  std::mutex mu_;
  raftpb::HardState hardState_;  // guarded by mu_
  raftpb::Snapshot snapshot_;    // guarded by mu_
  // ents_[0] is a dummy holding the index and term of the snapshot (or 0,0).
  std::vector<raftpb::Entry> ents_;  // guarded by mu_
};

}  // namespace cairn::raft
