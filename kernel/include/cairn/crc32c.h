// CRC-32C (Castagnoli; reflected, init and final xor all-ones: check value
// 0xE3069283 for "123456789"), the checksum of the WAL, of the backend
// export stream, of snapshot transfers and of etcd's HashKV.
//
// Why not a library: Boost's crc_optimal (a fixed dependency) computes it a
// byte at a time from a table, which made the checksum half the CPU of a
// snapshot; WiredTiger's wiredtiger_crc32c_func() is hardware-accelerated
// but takes no seed, so it cannot extend a running checksum (the WAL chains
// records, the stream is checksummed chunk by chunk); no other library of
// Cairn's fixed set exposes CRC-32C. On x86-64 with SSE4.2 the CPU's crc32
// instruction does it (8 bytes per instruction); elsewhere Boost does.
//
// Header-only: the SDK is an INTERFACE target and plugins (the storage
// backends' export stream) use it without linking a kernel library.
#pragma once

#include <boost/crc.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace cairn {
namespace crc32c_detail {

using TableCrc = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

inline uint32_t reflect32(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i) {
    if ((v >> i) & 1u) r |= 1u << (31 - i);
  }
  return r;
}

// Continues the checksum `prev` (of the bytes before `data`) by table.
inline uint32_t extendByTable(uint32_t prev, const unsigned char* data, std::size_t n) {
  // Boost keeps a reflected algorithm's register un-reflected, so resuming
  // from a finished checksum undoes the final xor and the reflection.
  TableCrc engine(reflect32(~prev));
  engine.process_bytes(data, n);
  return engine.checksum();
}

#if defined(__x86_64__)
// The crc32 instruction updates the raw (pre-inverted) register.
__attribute__((target("sse4.2"))) inline uint32_t extendByInstruction(uint32_t prev,
                                                                      const unsigned char* data,
                                                                      std::size_t n) {
  uint64_t reg = ~prev;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    reg = _mm_crc32_u64(reg, word);
    data += 8;
    n -= 8;
  }
  auto reg32 = static_cast<uint32_t>(reg);
  while (n-- > 0) reg32 = _mm_crc32_u8(reg32, *data++);
  return ~reg32;
}

inline bool hasInstruction() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return has;
}
#endif

}  // namespace crc32c_detail

// crc32cExtend(crc32c(a), b) == crc32c(a + b); crc32cExtend(0, a) == crc32c(a).
inline uint32_t crc32cExtend(uint32_t prev, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (crc32c_detail::hasInstruction()) return crc32c_detail::extendByInstruction(prev, p, n);
#endif
  return crc32c_detail::extendByTable(prev, p, n);
}

inline uint32_t crc32cExtend(uint32_t prev, std::string_view data) {
  return crc32cExtend(prev, data.data(), data.size());
}

// A running checksum. Its two members keep boost::crc_optimal's names so it
// replaces that type where a checksum is fed piece by piece.
class Crc32c {
 public:
  void process_bytes(const void* data, std::size_t n) { value_ = crc32cExtend(value_, data, n); }
  uint32_t checksum() const { return value_; }

 private:
  uint32_t value_ = 0;
};

}  // namespace cairn
