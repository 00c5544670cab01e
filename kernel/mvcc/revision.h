// Revision: the MVCC clock. `main` counts write transactions; `sub` orders the
// changes inside one transaction. The backend's "key" bucket is keyed by the
// 17-byte encoding of a revision (big-endian main, '_', big-endian sub), with a
// trailing 't' on tombstones, exactly as etcd lays it out, so a byte-ordered
// scan of the bucket is a scan of history in revision order.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cairn::mvcc {

struct Revision {
  int64_t main = 0;
  int64_t sub = 0;

  auto operator<=>(const Revision&) const = default;
};

struct RevisionHash {
  std::size_t operator()(const Revision& r) const {
    return std::hash<int64_t>()(r.main) * 31u + std::hash<int64_t>()(r.sub);
  }
};

inline constexpr std::size_t kRevisionBytesLen = 17;        // main(8) '_' sub(8)
inline constexpr std::size_t kMarkedRevisionBytesLen = 18;  // + tombstone mark
inline constexpr char kTombstoneMark = 't';

// Encodes `rev` as a key-bucket key; `tombstone` appends the deletion mark.
std::string revisionToBytes(Revision rev, bool tombstone = false);
// Decodes the revision part of a key-bucket key (the mark, if any, is ignored).
// Returns false if `bytes` is not a revision key.
bool bytesToRevision(std::string_view bytes, Revision* rev);
bool isTombstoneKey(std::string_view bytes);

}  // namespace cairn::mvcc
