// Fixed-width big-endian encoding: byte order equals numeric order, which is
// what ordered backend keys and stored indexes need.
#pragma once

#include <cstdint>
#include <string>

namespace cairn::mvcc {

inline std::string uint64ToBytes(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace cairn::mvcc
