// Reads the records of one segment file (held in memory) and decides where
// its valid records end.
//
// A torn tail is what an interrupted append leaves: kill -9 during write()
// keeps a prefix of the batch, power loss can keep any subset of its sectors.
// Either way the damage is confined to the unsynced end of the LAST segment,
// and nothing valid follows it. So in the last segment a malformed record is
// a torn tail (and the log ends before it) when the file ends inside it, when
// only zeros follow it, or when one of its sectors is all zeros (a sector
// that never reached the disk). Anything else malformed, and anything
// malformed in an earlier segment, is corruption: DataLoss naming the file
// and the byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "wal/record.h"

namespace cairn::wal {

struct Record {
  RecordType type = RecordType::Metadata;
  std::string_view payload;  // points into the decoder's data
  uint64_t offset = 0;       // byte offset of the record's header in the file
};

class SegmentDecoder {
 public:
  // `expectedChain`: the chain value the previous segment ended with, or
  // nullopt when this is the first segment read. The segment's leading Crc
  // record is checked against it and is not returned by next().
  SegmentDecoder(std::string path, std::string_view data, bool last,
                 std::optional<uint32_t> expectedChain);

  // The next record; *done is set (and rec untouched) at the end of the
  // valid records. Returns DataLoss on corruption.
  Status next(Record* rec, bool* done);

  const std::string& path() const { return path_; }
  uint64_t validEnd() const { return offset_; }  // just past the last good record
  uint32_t chain() const { return chain_; }      // chain value at validEnd()
  // The last segment ended in a torn record or had non-zero bytes after its
  // end: the caller must cut the file back to validEnd() before appending.
  bool repairedTail() const { return repairedTail_; }

  // Builds the "wal: <what> in <path> at offset <n>" DataLoss status.
  Status dataLoss(std::string_view what, uint64_t offset) const;

 private:
  Status malformed(std::string_view what, uint64_t offset, uint64_t payloadEnd, bool fileEnds,
                   bool* done);
  bool allZero(uint64_t from, uint64_t to) const;
  bool hasZeroSector(uint64_t from, uint64_t to) const;
  Status finishAtZeroHeader(bool* done);

  std::string path_;
  std::string_view data_;
  bool last_;
  std::optional<uint32_t> expectedChain_;
  uint64_t offset_ = 0;
  uint32_t chain_ = 0;
  bool sawCrcRecord_ = false;
  bool finished_ = false;
  bool repairedTail_ = false;
};

}  // namespace cairn::wal
