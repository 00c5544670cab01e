// TreeIndex: the in-memory key index, an ordered map key -> KeyIndex.
//
// Not thread-safe by itself: KvStore guards it with its index lock (shared for
// lookups, unique for changes), so lookups run concurrently with each other
// and never see a half-applied write transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "key_index.h"
#include "key_range.h"

namespace cairn::mvcc {

class TreeIndex {
 public:
  struct Entry {
    std::string_view key;  // valid while the index is unchanged
    Revision rev;
  };

  // What a lookup found, handed back to put() for the same key so that it
  // need not walk the tree again (a put looks its key up for the version,
  // then stores the new revision). Ignored once the index has erased or
  // replaced entries since the lookup: `epoch` no longer matches.
  struct Hint {
    const KeyIndex* keyIndex = nullptr;
    uint64_t epoch = 0;
  };

  // A copy or a moved-to index has an epoch of its own, so hints into the
  // source are never taken by it; a moved-from index is empty, with a new
  // epoch, since its entries left.
  TreeIndex() = default;
  TreeIndex(const TreeIndex& o) : tree_(o.tree_), live_(o.live_) {}
  TreeIndex(TreeIndex&& o) noexcept : tree_(std::move(o.tree_)), live_(o.live_) {
    o.tree_.clear();
    o.live_ = 0;
    o.epoch_ = newEpoch();
  }
  TreeIndex& operator=(TreeIndex o) noexcept {
    tree_.swap(o.tree_);
    live_ = o.live_;
    epoch_ = newEpoch();
    return *this;
  }

  // The visible revision of `key` at `atRev` (see KeyIndex::get). With
  // `hint`, also the key's entry (when the key is indexed at all).
  bool get(std::string_view key, int64_t atRev, Revision* modified, Revision* created, int64_t* ver,
           Hint* hint = nullptr) const;
  // Keys of `range` alive at `atRev`, ascending, with their visible revisions.
  void range(const KeyRange& range, int64_t atRev, std::vector<Entry>* out) const;
  // Changes of keys in `range` since main revision `rev`, ascending by revision.
  std::vector<Revision> rangeSince(const KeyRange& range, int64_t rev) const;

  Status put(std::string_view key, Revision rev);
  Status put(std::string_view key, Revision rev, const Hint& hint);
  Status tombstone(std::string_view key, Revision rev);
  // Restore path: see KeyIndex::restore / put / tombstone.
  KeyIndex* find(std::string_view key);
  KeyIndex& insert(std::string key);

  // Compacts every key at `rev`, removing keys left empty; returns the
  // revisions that must survive in the backend.
  RevisionSet compact(int64_t rev);
  RevisionSet keep(int64_t rev) const;

  std::size_t size() const { return tree_.size(); }
  // Keys whose latest generation is alive (etcd's keys_total), kept by
  // put() and tombstone(); the restore path, which edits KeyIndex entries
  // directly, calls recountLive() when it is done.
  std::size_t liveCount() const { return live_; }
  void recountLive();
  void clear() {
    tree_.clear();
    live_ = 0;
    epoch_ = newEpoch();
  }
  void forEach(const std::function<void(const KeyIndex&)>& f) const {
    for (const auto& [k, ki] : tree_) f(ki);
  }
  bool operator==(const TreeIndex& o) const { return tree_ == o.tree_; }

 private:
  template <typename F>
  void visit(const KeyRange& range, F&& f) const;

  // Unique across every index of the process, so a hint is only ever taken
  // by the index, and the generation of its entries, it came from.
  static uint64_t newEpoch();

  std::map<std::string, KeyIndex, std::less<>> tree_;
  std::size_t live_ = 0;
  // Renewed whenever entries are erased or replaced (compact, clear,
  // assignment). Guarded like the rest of the index, by KvStore's indexMu_.
  uint64_t epoch_ = newEpoch();
};

}  // namespace cairn::mvcc
