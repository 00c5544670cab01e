#include "range_permissions.h"

#include <algorithm>

namespace cairn::auth {
namespace {

// a < b where either may be +infinity (an end).
bool endLess(std::string_view a, bool aInf, std::string_view b, bool bInf) {
  if (aInf) return false;
  if (bInf) return true;
  return a < b;
}

}  // namespace

RangePermissions::Interval RangePermissions::intervalOf(std::string_view key,
                                                        std::string_view rangeEnd) {
  Interval ivl;
  ivl.begin = std::string(key);
  if (rangeEnd.empty()) {
    // A single key: [key, key + "\0").
    ivl.end = std::string(key);
    ivl.end.push_back('\0');
  } else if (rangeEnd == std::string_view("\0", 1)) {
    ivl.unbounded = true;
  } else {
    ivl.end = std::string(rangeEnd);
  }
  return ivl;
}

void RangePermissions::add(const authpb::Permission& perm) {
  Interval ivl = intervalOf(perm.key(), perm.range_end());
  switch (perm.permtype()) {
    case authpb::Permission::READ:
      read_.push_back(std::move(ivl));
      break;
    case authpb::Permission::WRITE:
      write_.push_back(std::move(ivl));
      break;
    case authpb::Permission::READWRITE:
      read_.push_back(ivl);
      write_.push_back(std::move(ivl));
      break;
    default:
      break;
  }
}

bool RangePermissions::covers(const std::vector<Interval>& set, std::string_view key,
                              std::string_view rangeEnd) {
  const Interval q = intervalOf(key, rangeEnd);
  if (rangeEnd.empty()) {
    // A point: some interval holds the key (begin <= key < end).
    return std::any_of(set.begin(), set.end(), [&](const Interval& i) {
      return i.begin <= q.begin && endLess(q.begin, false, i.end, i.unbounded);
    });
  }
  // The intervals meeting the query, by begin; their union must reach from
  // at or before its begin to at or past its end without a gap.
  std::vector<const Interval*> meeting;
  for (const Interval& i : set) {
    const bool startsBeforeQueryEnd = endLess(i.begin, false, q.end, q.unbounded);
    const bool endsAfterQueryBegin = endLess(q.begin, false, i.end, i.unbounded);
    if (startsBeforeQueryEnd && endsAfterQueryBegin) meeting.push_back(&i);
  }
  if (meeting.empty()) return false;
  std::sort(meeting.begin(), meeting.end(),
            [](const Interval* a, const Interval* b) { return a->begin < b->begin; });
  if (meeting.front()->begin > q.begin) return false;
  std::string_view reach = meeting.front()->end;
  bool reachInf = meeting.front()->unbounded;
  for (size_t n = 1; n < meeting.size() && !reachInf; ++n) {
    if (endLess(reach, false, meeting[n]->begin, false)) return false;  // a gap
    if (endLess(reach, reachInf, meeting[n]->end, meeting[n]->unbounded)) {
      reach = meeting[n]->end;
      reachInf = meeting[n]->unbounded;
    }
  }
  return !endLess(reach, reachInf, q.end, q.unbounded);
}

bool RangePermissions::canRead(std::string_view key, std::string_view rangeEnd) const {
  return covers(read_, key, rangeEnd);
}

bool RangePermissions::canWrite(std::string_view key, std::string_view rangeEnd) const {
  return covers(write_, key, rangeEnd);
}

}  // namespace cairn::auth
