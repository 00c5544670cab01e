// KeyIndex: the revision history of one key, as etcd models it.
//
// A key's life is a list of generations. A generation starts at the put that
// (re)creates the key and ends at the tombstone that deletes it; the last
// generation is the live (or empty, after a delete) one. Each generation
// records its creation revision, how many versions it has had, and the
// revisions of the changes still kept (compaction drops superseded ones).
//
//   put(1.0); put(2.0); tombstone(3.0); put(4.0); tombstone(5.0)
//   -> {created 1.0, ver 3, [1.0 2.0 3.0]} {created 4.0, ver 2, [4.0 5.0]} {empty}
//
// Not thread-safe: the owning TreeIndex's lock guards it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "cairn/status.h"
#include "revision.h"

namespace cairn::mvcc {

using RevisionSet = std::unordered_set<Revision, RevisionHash>;

class KeyIndex {
 public:
  struct Generation {
    int64_t ver = 0;  // versions this generation has had, including pruned ones
    Revision created;
    std::vector<Revision> revs;

    bool empty() const { return revs.empty(); }
    bool operator==(const Generation&) const = default;
  };

  explicit KeyIndex(std::string key) : key_(std::move(key)) {}

  const std::string& key() const { return key_; }
  Revision modified() const { return modified_; }
  const std::vector<Generation>& generations() const { return generations_; }

  // Records a change at `rev`, which must be newer than every recorded one
  // (Internal error otherwise: the caller's revision arithmetic is broken).
  Status put(Revision rev);
  // Rebuilds the index of a key whose oldest surviving revision is `modified`
  // (restore from the backend after compaction dropped older ones).
  void restore(Revision created, Revision modified, int64_t ver);
  // Records a deletion at `rev` and opens a new empty generation. NotFound if
  // the key is already deleted.
  Status tombstone(Revision rev);

  // The state of the key as of main revision `atRev`: the revision of its
  // visible change, its generation's creation revision and its version.
  // False if the key did not exist at `atRev`.
  bool get(int64_t atRev, Revision* modified, Revision* created, int64_t* ver) const;

  // Revisions of changes since main revision `rev` (inclusive), at most one per
  // main revision (the last), ascending. Used by watch catch-up.
  std::vector<Revision> since(int64_t rev) const;

  // Drops every revision superseded at `atRev` and adds to `available` the
  // revision still needed to answer reads at `atRev` (if any). A tombstone is
  // never needed: a key deleted at or before `atRev` loses that generation.
  void compact(int64_t atRev, RevisionSet* available);
  // Like compact() but changes nothing: only reports what would be kept.
  void keep(int64_t atRev, RevisionSet* available) const;

  // True if compaction removed every generation's content.
  bool isEmpty() const { return generations_.size() == 1 && generations_[0].empty(); }

  bool operator==(const KeyIndex&) const = default;

 private:
  // Index of the generation alive at `rev`, or -1.
  int findGeneration(int64_t rev) const;
  // Shared first half of compact/keep: which generation and revision survive.
  void doCompact(int64_t atRev, RevisionSet* available, std::size_t* genIdx, int* revIdx) const;

  std::string key_;
  Revision modified_;  // the newest change recorded
  std::vector<Generation> generations_;
};

}  // namespace cairn::mvcc
