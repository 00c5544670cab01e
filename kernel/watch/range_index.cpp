#include "watch/range_index.h"

#include <algorithm>

namespace cairn::watch {

void RangeIndex::split(const std::string& point) {
  auto it = segments_.lower_bound(point);
  if (it != segments_.end() && it->first == point) return;
  std::vector<const Interval*> covering;
  if (it != segments_.begin()) covering = std::prev(it)->second;
  segments_.emplace_hint(it, point, std::move(covering));
}

template <typename F>
void RangeIndex::forEachSegment(const Interval& in, F&& f) {
  for (auto it = segments_.find(in.start);
       it != segments_.end() && (in.toInf || it->first < in.end); ++it)
    f(it->second);
}

void RangeIndex::insert(Watcher* w) {
  IntervalKey k{w->key, w->fromKey ? std::string() : w->end, w->fromKey};
  auto [it, fresh] = intervals_.try_emplace(k);
  Interval& in = it->second;
  if (fresh) {
    in.start = w->key;
    in.end = w->fromKey ? std::string() : w->end;
    in.toInf = w->fromKey;
    split(in.start);
    if (!in.toInf) split(in.end);
    forEachSegment(in, [&](std::vector<const Interval*>& seg) { seg.push_back(&in); });
  }
  if (in.watchers.insert(w).second) ++size_;
}

void RangeIndex::mergeAt(const std::string& point) {
  auto it = segments_.find(point);
  if (it == segments_.end()) return;
  if (it == segments_.begin()) {
    if (it->second.empty()) segments_.erase(it);
    return;
  }
  auto a = std::prev(it)->second;
  auto b = it->second;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a == b) segments_.erase(it);
}

void RangeIndex::erase(Watcher* w) {
  IntervalKey k{w->key, w->fromKey ? std::string() : w->end, w->fromKey};
  auto it = intervals_.find(k);
  if (it == intervals_.end()) return;
  Interval& in = it->second;
  if (in.watchers.erase(w) == 0) return;
  --size_;
  if (!in.watchers.empty()) return;
  forEachSegment(in, [&](std::vector<const Interval*>& seg) {
    seg.erase(std::find(seg.begin(), seg.end(), &in));
  });
  const std::string start = in.start;
  const std::string end = in.end;
  const bool toInf = in.toInf;
  intervals_.erase(it);
  if (!toInf) mergeAt(end);
  mergeAt(start);
  // A trailing empty segment after the last interval is no longer needed.
  if (!segments_.empty() && segments_.rbegin()->second.empty() &&
      (segments_.size() == 1 || std::prev(segments_.end(), 2)->second.empty()))
    segments_.erase(std::prev(segments_.end()));
}

}  // namespace cairn::watch
