// Segment files: "<seq:016x>-<index:016x>.wal", where seq numbers segments
// consecutively from 0 and index is the raft index the first entry written
// into the segment will have (etcd's naming, so operators recognise it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn::wal {

struct SegmentFile {
  uint64_t seq = 0;
  uint64_t index = 0;
  std::string path;  // dir + "/" + name
};

std::string segmentName(uint64_t seq, uint64_t index);

// Parses a segment file name; false if `name` is not one.
bool parseSegmentName(const std::string& name, uint64_t* seq, uint64_t* index);

// The segments in `dir`, ordered by seq. DataLoss if the sequence has a gap
// (a segment went missing) or the start indexes go backwards.
Status listSegments(const std::string& dir, std::vector<SegmentFile>* out);

}  // namespace cairn::wal
