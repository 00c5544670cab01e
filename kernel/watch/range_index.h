// RangeIndex: the synced range watchers, answering "which watchers cover key k"
// in O(log n + matches).
//
// Why hand-written: the standard library has no interval tree and the
// dependency set is fixed. Design: identical intervals are merged (many
// clients watch the same prefix); the distinct intervals cut the key space
// into elementary segments, and each segment boundary maps to the intervals
// covering [boundary, next boundary). A lookup is one upper_bound. Adding or
// removing a distinct interval touches the segments it spans, which is cheap
// for the common case of few distinct, mostly disjoint prefixes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "watcher.h"

namespace cairn::watch {

class RangeIndex {
 public:
  void insert(Watcher* w);
  void erase(Watcher* w);
  std::size_t size() const { return size_; }

  // Calls f(Watcher*) for every watcher whose range contains `key`.
  template <typename F>
  void forEachCovering(const std::string& key, F&& f) const {
    auto it = segments_.upper_bound(key);
    if (it == segments_.begin()) return;
    --it;
    for (const Interval* in : it->second)
      for (Watcher* w : in->watchers) f(w);
  }

 private:
  struct Interval {
    std::string start;
    std::string end;  // unused if toInf
    bool toInf = false;
    std::unordered_set<Watcher*> watchers;
  };
  using IntervalKey = std::tuple<std::string, std::string, bool>;

  void split(const std::string& point);
  // Removes `point` if its segment equals the previous one (or is empty and first).
  void mergeAt(const std::string& point);
  template <typename F>
  void forEachSegment(const Interval& in, F&& f);

  std::map<IntervalKey, Interval> intervals_;
  std::map<std::string, std::vector<const Interval*>, std::less<>> segments_;
  std::size_t size_ = 0;
};

}  // namespace cairn::watch
