#include "wal/record.h"

#include <cstring>

#include "wal/crc32c.h"

namespace cairn::wal {
namespace {

void putLe32(std::string* buf, uint32_t v) {
  for (int i = 0; i < 4; ++i) buf->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void putLe64(std::string* buf, uint64_t v) {
  for (int i = 0; i < 8; ++i) buf->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void appendFramed(std::string* buf, RecordType type, std::string_view payload, uint32_t seed,
                  uint32_t* crcOut) {
  const uint32_t crc = frameRecord(buf, type, payload.size(), seed, [&](char* out) {
    if (!payload.empty()) std::memcpy(out, payload.data(), payload.size());
  });
  if (crcOut != nullptr) *crcOut = crc;
}

}  // namespace

uint32_t loadLe32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint64_t loadLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void storeLe32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t finishFrame(char* record, RecordType type, std::size_t payloadSize, uint32_t seed) {
  storeLe32(record, static_cast<uint32_t>(payloadSize));
  storeLe32(record + 4, static_cast<uint32_t>(type));
  const uint32_t crc = recordCrc(seed, std::string_view(record, 8),
                                 std::string_view(record + kRecordHeaderSize, payloadSize));
  storeLe32(record + 8, crc);
  return crc;
}

uint32_t recordCrc(uint32_t seed, std::string_view lengthAndType, std::string_view payload) {
  return crc32cExtend(crc32cExtend(seed, lengthAndType), payload);
}

void appendRecord(std::string* buf, RecordType type, std::string_view payload, uint32_t* crc) {
  appendFramed(buf, type, payload, *crc, crc);
}

void appendCrcRecord(std::string* buf, uint32_t chain) {
  appendFramed(buf, RecordType::Crc, encodeCrcPayload(chain), 0, nullptr);
}

std::string encodeSnapshotPayload(const WalSnapshot& snap) {
  std::string out;
  putLe64(&out, snap.index);
  putLe64(&out, snap.term);
  return out;
}

bool decodeSnapshotPayload(std::string_view payload, WalSnapshot* snap) {
  if (payload.size() != 16) return false;
  snap->index = loadLe64(payload.data());
  snap->term = loadLe64(payload.data() + 8);
  return true;
}

std::string encodeCrcPayload(uint32_t chain) {
  std::string out;
  putLe32(&out, chain);
  return out;
}

bool decodeCrcPayload(std::string_view payload, uint32_t* chain) {
  if (payload.size() != 4) return false;
  *chain = loadLe32(payload.data());
  return true;
}

}  // namespace cairn::wal
