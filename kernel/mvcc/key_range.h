// KeyRange: etcd's key-range convention in one place.
//   end empty          -> the single key `key`
//   end == "\0"        -> every key >= key ("from key"; key "\0" means all keys)
//   otherwise          -> keys in [key, end)
#pragma once

#include <string_view>

namespace cairn::mvcc {

struct KeyRange {
  std::string_view key;
  std::string_view end;

  bool single() const { return end.empty(); }
  bool fromKey() const { return end.size() == 1 && end[0] == '\0'; }
  bool contains(std::string_view k) const {
    if (single()) return k == key;
    if (k < key) return false;
    return fromKey() || k < end;
  }
  // True once `k` (visited in ascending order from `key`) is past the range.
  bool pastEnd(std::string_view k) const {
    if (single()) return k != key;
    return !fromKey() && k >= end;
  }
};

}  // namespace cairn::mvcc
