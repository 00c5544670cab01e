// WriteTxn: the changes of one applied raft entry (etcd's TxnWrite).
//
// All puts and deletes of a transaction share one main revision
// (revision() + 1) with sub revisions 0, 1, 2...; a transaction that changes
// nothing does not move the revision. Reads inside the transaction see its own
// earlier writes. Nothing is visible to other threads, nor written, until
// end(), which commits one backend batch (changes + consistent_index + any ops
// other components added to batch()) and then publishes the new revision;
// inside a write group (KvStore::beginGroup) end() stages them instead, and
// the group's commit stores and publishes them.
// Destroying a WriteTxn without end() discards it. Apply thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/storage.h"
#include "mvccpb/kv.pb.h"
#include "read_view.h"
#include "revision.h"
#include "tree_index.h"

namespace cairn::mvcc {

class KvStore;

class WriteTxn : public ReadView {
 public:
  ~WriteTxn() override = default;

  // etcd's TxnWrite.Rev(): the revision the transaction started from.
  int64_t rev() const override { return beginRev_; }
  int64_t firstRev() const override;
  // The revision this transaction's reads default to: rev() + 1 once it has
  // changed something.
  int64_t viewRevision() const { return beginRev_ + (changes_.empty() ? 0 : 1); }
  Status range(std::string_view key, std::string_view end, const RangeOptions& opts,
               RangeResult* out) override;

  // Puts `key`; `*rev` is the revision of the change (rev() + 1).
  Status put(std::string_view key, std::string_view value, int64_t lease, int64_t* rev);
  // Deletes the live keys of [key, end); `*deleted` counts them and `*rev` is
  // rev() + 1 if this transaction changed anything so far, else rev().
  Status deleteRange(std::string_view key, std::string_view end, int64_t* deleted, int64_t* rev);

  bool hasChanges() const { return !changes_.empty(); }
  // One event per change, in order. A DELETE event's kv holds the key and
  // mod_revision only (as etcd's) and its prev_kv the deleted state; a PUT
  // event has no prev_kv (read it at mod_revision - 1 if needed).
  const std::vector<mvccpb::Event>& events() const { return events_; }
  // Moves the events to the end of `*out` (after end(), which no longer
  // needs them).
  void moveEventsTo(std::vector<mvccpb::Event>* out);
  // Ops of other buckets (lease, auth...) committed atomically with this
  // transaction. Never touch the "key" bucket or meta's compaction keys.
  storage::WriteBatch& batch() { return batch_; }

  // Commits and publishes (stages, in a write group). `consistentIndex` (0:
  // none) is stored in the same batch. After a commit failure the store refuses further writes.
  Status end(uint64_t consistentIndex);

 private:
  friend class KvStore;
  WriteTxn(KvStore& store, int64_t beginRev);

  // The key's state after this transaction so far: deleted, or the kv of
  // its last PUT event (events_[event]; stored once, not copied).
  struct Pending {
    bool deleted = false;
    std::size_t event = 0;
  };
  struct Change {
    std::string_view key;  // a key of pending_, whose nodes stay put
    Revision rev;
    bool tombstone = false;
    TreeIndex::Hint hint;  // from prior(), for the index's put
  };
  // pending_'s node for `key`, made if missing.
  std::map<std::string, Pending, std::less<>>::iterator pendingFor(std::string_view key);

  storage::ReadTxn& snapshot();
  // Whether the key is alive as this transaction sees it now, and if so its
  // create_revision and version.
  bool prior(std::string_view key, int64_t* created, int64_t* version, TreeIndex::Hint* hint);
  // Keys of the range alive in this transaction's view, ascending: either a
  // committed revision or this transaction's pending state.
  static constexpr std::size_t kCommitted = SIZE_MAX;
  struct Item {
    std::string key;
    Revision rev;                    // if committed
    std::size_t event = kCommitted;  // if written by this txn: its PUT in events_
  };
  void liveItems(std::string_view key, std::string_view end, std::vector<Item>* out);
  Status load(const Item& item, mvccpb::KeyValue* kv);

  KvStore& store_;
  const int64_t beginRev_;
  std::unique_ptr<storage::ReadTxn> snapshot_;  // committed state (<= beginRev_), lazily opened
  std::map<std::string, Pending, std::less<>> pending_;
  std::vector<Change> changes_;
  std::vector<mvccpb::Event> events_;
  storage::WriteBatch batch_;
  bool ended_ = false;
};

}  // namespace cairn::mvcc
