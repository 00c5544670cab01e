#include "tree_index.h"

#include <algorithm>
#include <atomic>

namespace cairn::mvcc {

template <typename F>
void TreeIndex::visit(const KeyRange& range, F&& f) const {
  for (auto it = tree_.lower_bound(range.key); it != tree_.end(); ++it) {
    if (range.pastEnd(it->first)) break;
    f(it->second);
  }
}

uint64_t TreeIndex::newEpoch() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool TreeIndex::get(std::string_view key, int64_t atRev, Revision* modified, Revision* created,
                    int64_t* ver, Hint* hint) const {
  auto it = tree_.find(key);
  if (it == tree_.end()) return false;
  if (hint != nullptr) *hint = Hint{&it->second, epoch_};
  return it->second.get(atRev, modified, created, ver);
}

void TreeIndex::range(const KeyRange& range, int64_t atRev, std::vector<Entry>* out) const {
  visit(range, [&](const KeyIndex& ki) {
    Revision rev;
    if (ki.get(atRev, &rev, nullptr, nullptr)) out->push_back(Entry{ki.key(), rev});
  });
}

std::vector<Revision> TreeIndex::rangeSince(const KeyRange& range, int64_t rev) const {
  std::vector<Revision> out;
  visit(range, [&](const KeyIndex& ki) {
    std::vector<Revision> revs = ki.since(rev);
    out.insert(out.end(), revs.begin(), revs.end());
  });
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

bool isLive(const KeyIndex& ki) {
  return !ki.generations().empty() && !ki.generations().back().empty();
}

}  // namespace

Status TreeIndex::put(std::string_view key, Revision rev) {
  return put(key, rev, Hint{});
}

Status TreeIndex::put(std::string_view key, Revision rev, const Hint& hint) {
  KeyIndex* ki = nullptr;
  if (hint.keyIndex != nullptr && hint.epoch == epoch_ && hint.keyIndex->key() == key) {
    // The entry is this index's own node (std::map nodes never move), found
    // by get() since the last erasure.
    ki = const_cast<KeyIndex*>(hint.keyIndex);
  } else {
    auto it = tree_.lower_bound(key);
    if (it == tree_.end() || it->first != key) {
      it = tree_.emplace_hint(it, std::string(key), KeyIndex(std::string(key)));
    }
    ki = &it->second;
  }
  const bool wasLive = isLive(*ki);
  Status s = ki->put(rev);
  if (s && !wasLive) ++live_;
  return s;
}

Status TreeIndex::tombstone(std::string_view key, Revision rev) {
  auto it = tree_.find(key);
  if (it == tree_.end()) return Status(StatusCode::NotFound, "mvcc: revision not found");
  const bool wasLive = isLive(it->second);
  Status s = it->second.tombstone(rev);
  if (s && wasLive) --live_;
  return s;
}

void TreeIndex::recountLive() {
  live_ = 0;
  for (const auto& [_, ki] : tree_) {
    if (isLive(ki)) ++live_;
  }
}

KeyIndex* TreeIndex::find(std::string_view key) {
  auto it = tree_.find(key);
  return it == tree_.end() ? nullptr : &it->second;
}

KeyIndex& TreeIndex::insert(std::string key) {
  auto it = tree_.find(key);
  if (it != tree_.end()) return it->second;
  std::string k = key;
  return tree_.emplace(std::move(k), KeyIndex(std::move(key))).first->second;
}

RevisionSet TreeIndex::compact(int64_t rev) {
  RevisionSet available;
  bool erased = false;
  for (auto it = tree_.begin(); it != tree_.end();) {
    it->second.compact(rev, &available);
    if (it->second.isEmpty()) {
      it = tree_.erase(it);
      erased = true;
    } else {
      ++it;
    }
  }
  // Hints taken before may point at erased entries (the caller holds the
  // index's lock throughout, so none is taken meanwhile).
  if (erased) epoch_ = newEpoch();
  return available;
}

RevisionSet TreeIndex::keep(int64_t rev) const {
  RevisionSet available;
  for (const auto& [k, ki] : tree_) ki.keep(rev, &available);
  return available;
}

}  // namespace cairn::mvcc
