// Snapshot state files: the backend state that travels with a raft snapshot.
//
// A follower receives the leader's backend state (Backend::exportState's
// stream) into "<dir>/<term>-<index>.state.part" (16 hex digits each, the
// name of the raft snapshot file it belongs to), checks its length and
// CRC-32C, fsyncs it and renames it to "<term>-<index>.state" before raft
// sees the MsgSnap. The apply loop imports from it; a member killed before
// that imports it on restart (Bootstrap), so the file stays until a later
// snapshot replaces it. Bounded memory: a chunk at a time.
//
// Threads: each writer or reader belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "cairn/storage_stream.h"

namespace cairn::transport {

std::string snapshotStatePath(const std::string& dir, uint64_t term, uint64_t index);
// Removes the state files of snapshots below `belowIndex`, and with
// `unfinished` the scratch files of receptions that never completed (only
// when nothing receives: at start).
void purgeSnapshotStateFiles(const std::string& dir, uint64_t belowIndex, bool unfinished = false);

class SnapshotFileWriter {
 public:
  SnapshotFileWriter(std::string dir, uint64_t term, uint64_t index);
  // An uncommitted scratch file is removed.
  ~SnapshotFileWriter();
  SnapshotFileWriter(const SnapshotFileWriter&) = delete;
  SnapshotFileWriter& operator=(const SnapshotFileWriter&) = delete;

  Status open();
  Status append(std::string_view chunk);
  // Checks that exactly `expectedBytes` with CRC-32C `expectedCrc` arrived,
  // then fsyncs the file, renames it into place and fsyncs the directory.
  Status commit(uint64_t expectedBytes, uint32_t expectedCrc);
  uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  const std::string dir_;
  const std::string path_;
  const std::string scratch_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  storage::StreamCrc crc_;
  bool committed_ = false;
};

// Reads a state file a chunk at a time, as Backend::importState's source.
class SnapshotFileReader {
 public:
  explicit SnapshotFileReader(std::string path) : path_(std::move(path)) {}
  ~SnapshotFileReader();
  SnapshotFileReader(const SnapshotFileReader&) = delete;
  SnapshotFileReader& operator=(const SnapshotFileReader&) = delete;

  Status open();
  // The next chunk (false at the end, or on an error: see status()).
  bool next(std::string& chunk);
  const Status& status() const { return status_; }

 private:
  const std::string path_;
  int fd_ = -1;
  Status status_;
};

}  // namespace cairn::transport
