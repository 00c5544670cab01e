// Reads a run of consecutive segments from the start: the shared read path of
// Wal::open and readSnapshotMarkers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "wal/segment_name.h"
#include "wal/wal_snapshot.h"

namespace cairn::wal {

struct LogContents {
  std::string metadata;
  bool hasMetadata = false;
  raftpb::HardState state;             // the last one read
  std::vector<raftpb::Entry> entries;  // index > from.index, truncations applied
  std::vector<WalSnapshot> markers;    // every snapshot marker, in log order
  bool fromFound = false;              // a marker with from.index was seen
  uint64_t lastEntryIndex = 0;         // index of the last entry record read (0: none)
  uint32_t chain = 0;                  // CRC chain value after the last valid record
  uint64_t lastSegmentEnd = 0;         // end of valid records in the last segment
  bool repairedTail = false;           // the last segment needs cutting back to lastSegmentEnd
};

// Index into `all` of the segment reading from `fromIndex` must start at: the
// last one whose start index is <= fromIndex. DataLoss if every segment
// starts above it (the segments holding it were released).
Status selectFirstSegment(const std::string& dir, const std::vector<SegmentFile>& all,
                          uint64_t fromIndex, size_t* first);

// Reads `segs` (consecutive, oldest first; the last is the log's tail).
// With `collectEntries`, entries above `from.index` are decoded into
// `out->entries`, a later entry at an existing index replacing it and
// everything after it (raft log truncation); a gap is DataLoss. A marker at
// from.index with a different term is DataLoss.
Status readLog(const std::vector<SegmentFile>& segs, const WalSnapshot& from, bool collectEntries,
               LogContents* out);

}  // namespace cairn::wal
