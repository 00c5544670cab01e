// The write-ahead log: Cairn's source of truth for raft state.
//
// A WAL directory holds segment files "<seq:016x>-<index:016x>.wal" (see
// segment_name.h), each preallocated to Options::segmentSizeBytes and filled
// with framed, CRC-chained records (see record.h). Every segment starts with
// a Crc record, the metadata and (after the first) the latest hard state, so
// the log can be read starting at any segment once older ones are released.
//
// Durability contract: once save(..., sync=true) or saveSnapshot() returns
// Ok, the records survive kill -9 and power loss. An append interrupted by a
// crash can only damage the unsynced tail of the last segment; open() cuts
// such a torn tail away and refuses (DataLoss) any other damage.
//
// Thread-safety: none. A Wal is owned by one thread (the server's raft loop);
// the directory flock keeps other processes and other Wal objects out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "wal/dir_lock.h"
#include "wal/segment_name.h"
#include "wal/wal_snapshot.h"

namespace cairn::wal {

// Zeroes are written this far ahead of the records (see Wal::writeBatch).
inline constexpr uint64_t kZeroAheadBytes = 1 << 20;

struct Options {
  // A new segment is cut once the current one grows past this size; also
  // the size each segment is preallocated to.
  uint64_t segmentSizeBytes = 64ull << 20;
};

class Wal {
 public:
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // True if `dir` holds at least one segment file.
  static bool exists(const std::string& dir);

  // Creates a new WAL in `dir` (built in "<dir>.tmp" and renamed, so a crash
  // never leaves a half-made WAL), records `metadata` and the snapshot
  // marker {0, 0}, and opens it for append. AlreadyExists if a WAL is there.
  static Status create(const std::string& dir, const std::string& metadata, const Options& options,
                       std::unique_ptr<Wal>* out);

  // Opens for append after reading everything after `from`: returns the
  // metadata, the last HardState, and the entries with index > from.index
  // (a later entry at an index replaces the earlier one and everything after
  // it, as raft truncation requires). A torn tail of the last segment is cut
  // away and reported through `repairedTail`. Any other corruption (bad CRC
  // in the middle, a missing segment, an index gap, `from` not recorded as a
  // snapshot marker) fails with DataLoss naming the file and byte offset.
  // FailedPrecondition if another Wal holds the directory; NotFound if there
  // is no WAL.
  static Status open(const std::string& dir, const WalSnapshot& from, const Options& options,
                     std::unique_ptr<Wal>* out, std::string* metadata, raftpb::HardState* state,
                     std::vector<raftpb::Entry>* entries, bool* repairedTail = nullptr);

  // Appends the entries and then, if it is not empty, the hard state. With
  // `sync` one fdatasync covers the whole batch (group commit) and the call
  // returns only once it is durable. After any I/O failure the Wal refuses
  // further writes: the state of the file is unknown and the caller must
  // restart from open().
  Status save(const raftpb::HardState& state, const std::vector<raftpb::Entry>& entries, bool sync);

  // Appends a snapshot marker and syncs it (always durable on Ok).
  Status saveSnapshot(const WalSnapshot& snap);

  // Deletes, oldest first, whole segments that only hold entries below
  // `index`; keeps the segment containing it (the one open(from) with
  // from.index == index starts reading at) and everything after.
  Status releaseTo(uint64_t index);

  // Syncs, closes the current segment and drops the directory lock.
  // Idempotent; the destructor calls it.
  Status close();

  const std::string& dir() const { return dir_; }
  // The live segment files, oldest first (the last is being appended to).
  const std::vector<SegmentFile>& segments() const { return segments_; }

 private:
  Wal(std::string dir, const Options& options);

  Status writeBatch(const std::string& buf);
  Status syncCurrent();
  Status cut();
  Status poison(Status s);
  Status usable() const;

  // All fields are owned by the thread that owns the Wal (see above).
  std::string dir_;
  Options options_;
  DirLock lock_;
  std::string metadata_;
  std::vector<SegmentFile> segments_;
  int fd_ = -1;              // current (last) segment, open for writing
  uint64_t offset_ = 0;      // where the next record goes in the current segment
  uint64_t zeroedTo_ = 0;    // the current segment holds written zeroes up to here
  uint32_t chain_ = 0;       // CRC chain value after the last record written
  uint64_t lastIndex_ = 0;   // index of the last entry saved (or of a later snapshot marker)
  raftpb::HardState state_;  // last non-empty hard state saved; opens each new segment
  bool unsynced_ = false;    // records written to the current segment since its last sync
  Status failed_;            // first I/O failure; once set every write returns it
  bool closed_ = false;
  std::string saveBuf_;  // save()'s records, reused from one save to the next
  static constexpr std::size_t kKeptSaveBufferBytes = 4u << 20;
};

// Reads only the snapshot markers in a WAL directory (to pick a snapshot file
// before open()). Like etcd, only markers at or below the last recorded
// commit index are returned: a later one may refer to a snapshot whose
// entries were never durably committed. Takes no lock and repairs nothing.
Status readSnapshotMarkers(const std::string& dir, std::vector<WalSnapshot>* out);

}  // namespace cairn::wal
