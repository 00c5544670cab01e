// Facts of the bbolt file format (go.etcd.io/bbolt, the database etcd 3.4
// keeps its backend in and sends as its snapshot), as Cairn's writer and
// reader need them. No C++ bbolt library exists (Debian packages only the Go
// sources), so Cairn reads and writes the format itself.
//
// The file is a sequence of pages of kPageSize bytes; page N starts at byte
// N * kPageSize. Every page starts with a 16-byte header (id u64, flags u16,
// count u16, overflow u32); a page whose content does not fit spans
// overflow + 1 contiguous pages. Pages 0 and 1 are meta pages (the newer valid
// one, by txid, is current), one page may hold the freelist (not in etcd's
// files: kNoFreelist), the rest are the B+tree pages of the root bucket and
// of each bucket. Integers are little
// endian (bbolt writes its structs in the host's order; etcd runs on
// little-endian machines).
//
// Leaf page: count elements of 16 bytes (flags u32, pos u32, ksize u32,
// vsize u32), then the keys and values; an element's key starts `pos` bytes
// after the element itself. Branch page: count elements of 16 bytes (pos u32,
// ksize u32, child pgid u64), each keyed by the first key of its child. A leaf
// element with flag kBucketLeafFlag names a sub-bucket; its value is a bucket
// header (root pgid u64, sequence u64).
//
// Meta (after the page header): magic u32, version u32, page size u32, flags
// u32, root bucket header (16), freelist pgid u64, high-water pgid u64, txid
// u64, then the FNV-64a checksum of those 56 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::snapshot::bbolt {

inline constexpr uint32_t kPageSize = 4096;
inline constexpr std::size_t kPageHeaderSize = 16;
inline constexpr std::size_t kElementSize = 16;  // leaf and branch elements alike
inline constexpr std::size_t kBucketHeaderSize = 16;

inline constexpr uint16_t kBranchPageFlag = 0x01;
inline constexpr uint16_t kLeafPageFlag = 0x02;
inline constexpr uint16_t kMetaPageFlag = 0x04;
inline constexpr uint16_t kFreelistPageFlag = 0x10;
inline constexpr uint32_t kBucketLeafFlag = 0x01;

inline constexpr uint32_t kMagic = 0xED0CDAED;
inline constexpr uint32_t kVersion = 2;
inline constexpr std::size_t kMetaChecksummedBytes = 56;
inline constexpr std::size_t kMetaBytes = kMetaChecksummedBytes + 8;
// The meta's freelist pgid when the freelist is not stored (bbolt's
// pgidNoFreelist; etcd 3.4 runs bbolt with NoFreelistSync).
inline constexpr uint64_t kNoFreelist = ~uint64_t{0};

inline void putLe(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline uint64_t getLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// FNV-1a, 64 bits (Go's hash/fnv New64a), as bbolt checksums its meta page.
inline uint64_t fnv64a(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The contents of a meta page.
struct Meta {
  uint64_t rootPgid = 0;
  uint64_t rootSequence = 0;
  uint64_t freelistPgid = 0;
  uint64_t highWater = 0;  // pages in the file ("pgid")
  uint64_t txid = 0;
};

}  // namespace cairn::snapshot::bbolt
