// Raft snapshot files (member/snap): "<term:016x>-<index:016x>.snap", each a
// framed, CRC-checked raftpb::Snapshot (see snapshotter.cpp for the frame).
//
// Thread-safety: none; owned by the server's raft loop like the Wal.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "wal/wal_snapshot.h"

namespace cairn::wal {

class Snapshotter {
 public:
  explicit Snapshotter(std::string dir);

  // Writes the snapshot durably: "<name>.tmp", fsync, rename, fsync dir.
  // Creates the directory if needed.
  Status save(const raftpb::Snapshot& snap);

  // The newest snapshot file whose {index, term} is in `allowed` (the markers
  // the WAL recorded); NotFound if none. A corrupt file is renamed to
  // "<name>.broken" and skipped.
  Status loadNewestAvailable(const std::vector<WalSnapshot>& allowed, raftpb::Snapshot* out);

  // Removes all but the newest `keep` snapshot files (and leftover .tmp files).
  Status purge(size_t keep);

  const std::string& dir() const { return dir_; }

  static std::string fileName(uint64_t term, uint64_t index);

 private:
  struct SnapFile {
    uint64_t term = 0;
    uint64_t index = 0;
    std::string name;
  };
  // Snapshot files in the directory, newest (highest index, then term) first.
  Status list(std::vector<SnapFile>* out) const;
  Status load(const SnapFile& file, raftpb::Snapshot* out) const;

  std::string dir_;
};

}  // namespace cairn::wal
