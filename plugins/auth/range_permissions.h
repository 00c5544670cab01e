// RangePermissions: one user's key permissions, merged over its roles, and
// the two questions etcd's auth store asks of them (auth/range_perm_cache.go):
// may this user read (write) this key, and this whole range?
//
// Keys are byte strings ordered by memcmp. A permission is a half-open
// interval [key, rangeEnd); an empty rangeEnd is the single key, a rangeEnd
// of "\0" is every key from `key` on (etcd's --from-key). A range request is
// allowed only if the union of the user's intervals covers it without a gap.
//
// Immutable once built: shared between threads without locking.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "authpb/auth.pb.h"

namespace cairn::auth {

class RangePermissions {
 public:
  // One half-open interval; `unbounded` means the end is +infinity.
  struct Interval {
    std::string begin;
    std::string end;
    bool unbounded = false;
  };

  // Merges one permission of one of the user's roles.
  void add(const authpb::Permission& perm);

  // A key (empty rangeEnd) or a range [key, rangeEnd) ("\0": to the end).
  bool canRead(std::string_view key, std::string_view rangeEnd) const;
  bool canWrite(std::string_view key, std::string_view rangeEnd) const;

  const std::vector<Interval>& read() const { return read_; }
  const std::vector<Interval>& write() const { return write_; }

  // The interval a request or permission (key, rangeEnd) denotes.
  static Interval intervalOf(std::string_view key, std::string_view rangeEnd);
  // Whether `set` covers `query` (contiguously) or, for a single key,
  // contains it.
  static bool covers(const std::vector<Interval>& set, std::string_view key,
                     std::string_view rangeEnd);

 private:
  std::vector<Interval> read_;
  std::vector<Interval> write_;
};

}  // namespace cairn::auth
