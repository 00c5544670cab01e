#include "wal/segment_decoder.h"

#include <algorithm>

namespace cairn::wal {
namespace {

// The smallest unit a disk persists atomically; a torn write loses whole
// sectors, so an all-zero sector inside a record means it never landed.
constexpr uint64_t kSectorSize = 512;

}  // namespace

SegmentDecoder::SegmentDecoder(std::string path, std::string_view data, bool last,
                               std::optional<uint32_t> expectedChain)
    : path_(std::move(path)), data_(data), last_(last), expectedChain_(expectedChain) {}

Status SegmentDecoder::dataLoss(std::string_view what, uint64_t offset) const {
  std::string msg = "wal: ";
  msg.append(what);
  msg += " in " + path_ + " at offset " + std::to_string(offset);
  return Status(StatusCode::DataLoss, std::move(msg));
}

bool SegmentDecoder::allZero(uint64_t from, uint64_t to) const {
  to = std::min<uint64_t>(to, data_.size());
  for (uint64_t i = from; i < to; ++i) {
    if (data_[i] != '\0') return false;
  }
  return true;
}

bool SegmentDecoder::hasZeroSector(uint64_t from, uint64_t to) const {
  uint64_t pos = from;
  while (pos < to) {
    uint64_t chunkEnd = std::min(to, (pos / kSectorSize + 1) * kSectorSize);
    if (allZero(pos, chunkEnd)) return true;
    pos = chunkEnd;
  }
  return false;
}

Status SegmentDecoder::malformed(std::string_view what, uint64_t offset, uint64_t payloadEnd,
                                 bool fileEnds, bool* done) {
  if (last_ && sawCrcRecord_) {
    bool torn = fileEnds || allZero(payloadEnd, data_.size()) ||
                hasZeroSector(offset + kRecordHeaderSize, payloadEnd);
    if (torn) {
      finished_ = true;
      repairedTail_ = true;
      *done = true;
      return Status::ok();
    }
  }
  return dataLoss(what, offset);
}

Status SegmentDecoder::finishAtZeroHeader(bool* done) {
  finished_ = true;
  *done = true;
  if (!sawCrcRecord_) return dataLoss("segment does not start with a crc record", 0);
  if (!allZero(offset_, data_.size())) {
    // Unwritten space followed by data: the unsynced remains of an
    // interrupted batch in the last segment; anywhere else, records lost.
    if (!last_) return dataLoss("data after the end of records", offset_);
    repairedTail_ = true;
  }
  return Status::ok();
}

Status SegmentDecoder::next(Record* rec, bool* done) {
  *done = false;
  while (true) {
    if (finished_) {
      *done = true;
      return Status::ok();
    }
    const uint64_t size = data_.size();
    const uint64_t off = offset_;
    if (size - off < kRecordHeaderSize) {
      if (allZero(off, size)) return finishAtZeroHeader(done);
      return malformed("truncated record header", off, size, true, done);
    }
    const char* h = data_.data() + off;
    if (allZero(off, off + kRecordHeaderSize)) return finishAtZeroHeader(done);

    const uint64_t length = loadLe32(h);
    const uint32_t rawType = loadLe32(h + 4);
    const uint32_t storedCrc = loadLe32(h + 8);
    const uint64_t total = framedSize(length);
    if (total > size - off) {
      return malformed("record extends past the end of the file", off, size, true, done);
    }
    std::string_view payload = data_.substr(off + kRecordHeaderSize, length);
    const bool isCrc = rawType == static_cast<uint32_t>(RecordType::Crc);
    // The segment's leading Crc record is checked alone (seed 0); the rest
    // continue the chain.
    const uint32_t seed = isCrc ? 0 : chain_;
    const uint32_t crc = recordCrc(seed, std::string_view(h, 8), payload);
    if (crc != storedCrc) {
      return malformed("crc mismatch", off, off + kRecordHeaderSize + length, false, done);
    }
    if (rawType < static_cast<uint32_t>(RecordType::Metadata) ||
        rawType > static_cast<uint32_t>(RecordType::Snapshot)) {
      return dataLoss("unknown record type " + std::to_string(rawType), off);
    }
    offset_ = off + total;
    if (!sawCrcRecord_) {
      uint32_t carried = 0;
      if (!isCrc || !decodeCrcPayload(payload, &carried)) {
        return dataLoss("segment does not start with a crc record", off);
      }
      if (expectedChain_ && *expectedChain_ != carried) {
        return dataLoss("crc chain broken (records missing from the previous segment)", off);
      }
      chain_ = carried;
      sawCrcRecord_ = true;
      continue;
    }
    if (isCrc) return dataLoss("crc record in the middle of a segment", off);
    chain_ = crc;
    rec->type = static_cast<RecordType>(rawType);
    rec->payload = payload;
    rec->offset = off;
    return Status::ok();
  }
}

}  // namespace cairn::wal
