// WAL record framing.
//
// Every record is
//   u32 payload length | u32 type | u32 CRC-32C | payload | zero padding
// little-endian, padded so records start on 8-byte boundaries. Types start
// at 1, so an all-zero header can only be unwritten (preallocated) space: the
// reader treats it as the end of the log.
//
// The CRC covers the length, the type and the payload, and is chained: each
// record's CRC continues from the previous record's. A segment starts with a
// Crc record whose payload is the chain value at the end of the previous
// segment (its own CRC is computed from zero so it can be checked alone);
// the chain therefore notices a record lost at the end of a middle segment,
// and a segment can still be read on its own after older ones are released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wal/wal_snapshot.h"

namespace cairn::wal {

enum class RecordType : uint32_t {
  Metadata = 1,  // opaque bytes given at create (member/cluster ids)
  Entry = 2,     // raftpb::Entry
  State = 3,     // raftpb::HardState
  Crc = 4,       // u32 chain value carried into a new segment
  Snapshot = 5,  // WalSnapshot {index, term}
};

constexpr size_t kRecordHeaderSize = 12;
constexpr size_t kRecordAlignment = 8;

// Size of a framed record with `payloadSize` bytes of payload.
constexpr uint64_t framedSize(uint64_t payloadSize) {
  uint64_t raw = kRecordHeaderSize + payloadSize;
  return (raw + kRecordAlignment - 1) / kRecordAlignment * kRecordAlignment;
}

void storeLe32(char* p, uint32_t v);
// Writes the header of the record at `record` whose payload (`payloadSize`
// bytes) is already in place after it; returns the record's CRC.
uint32_t finishFrame(char* record, RecordType type, std::size_t payloadSize, uint32_t seed);

// Appends a framed record of `payloadSize` bytes whose payload `write(char*)`
// puts in place, so a serialized message needs no intermediate string.
// Returns the record's CRC (seeded with `seed`).
template <typename Write>
uint32_t frameRecord(std::string* buf, RecordType type, std::size_t payloadSize, uint32_t seed,
                     Write&& write) {
  const std::size_t start = buf->size();
  buf->resize(start + framedSize(payloadSize));  // padding stays zero
  char* record = buf->data() + start;
  write(record + kRecordHeaderSize);
  return finishFrame(record, type, payloadSize, seed);
}

// Appends a framed record to `buf`, continuing the chain `*crc`.
void appendRecord(std::string* buf, RecordType type, std::string_view payload, uint32_t* crc);

// Appends the Crc record that opens a segment; `chain` is the chain value at
// the end of the previous segment (0 for the first) and remains the chain
// value after this record.
void appendCrcRecord(std::string* buf, uint32_t chain);

// CRC of a record given its header's first 8 bytes and its payload.
uint32_t recordCrc(uint32_t seed, std::string_view lengthAndType, std::string_view payload);

std::string encodeSnapshotPayload(const WalSnapshot& snap);
bool decodeSnapshotPayload(std::string_view payload, WalSnapshot* snap);
std::string encodeCrcPayload(uint32_t chain);
bool decodeCrcPayload(std::string_view payload, uint32_t* chain);

uint32_t loadLe32(const char* p);
uint64_t loadLe64(const char* p);

}  // namespace cairn::wal
