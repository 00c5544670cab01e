#include "revision.h"

namespace cairn::mvcc {
namespace {

void putBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t getBigEndian(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

std::string revisionToBytes(Revision rev, bool tombstone) {
  std::string out(tombstone ? kMarkedRevisionBytesLen : kRevisionBytesLen, '\0');
  putBigEndian(static_cast<uint64_t>(rev.main), out.data());
  out[8] = '_';
  putBigEndian(static_cast<uint64_t>(rev.sub), out.data() + 9);
  if (tombstone) out[kRevisionBytesLen] = kTombstoneMark;
  return out;
}

bool bytesToRevision(std::string_view bytes, Revision* rev) {
  if (bytes.size() != kRevisionBytesLen && bytes.size() != kMarkedRevisionBytesLen) return false;
  rev->main = static_cast<int64_t>(getBigEndian(bytes.data()));
  rev->sub = static_cast<int64_t>(getBigEndian(bytes.data() + 9));
  return true;
}

bool isTombstoneKey(std::string_view bytes) {
  return bytes.size() == kMarkedRevisionBytesLen && bytes[kRevisionBytesLen] == kTombstoneMark;
}

}  // namespace cairn::mvcc
