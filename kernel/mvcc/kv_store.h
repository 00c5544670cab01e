// KvStore: etcd's MVCC key-value store over a storage::Backend.
//
// Layout in the backend (etcd's): bucket "key" maps revision keys (see
// revision.h) to serialized mvccpb::KeyValue (a tombstone stores only the
// key); bucket "meta" holds "consistent_index" (uint64 big-endian),
// "scheduledCompactRev" and "finishedCompactRev" (revision keys).
//
// Threads:
//  - the apply thread is the only one that writes: write(), compact(),
//    setConsistentIndex(), beginGroup()/commitGroup(), restore(); the open
//    group's fields (grouping_, group_, groupRows_, stagedRev_,
//    stagedIndex_) are the apply thread's alone;
//  - any thread reads: read(), range(), history(), the revision getters;
//  - physical compaction (runPendingCompactions) may run on any one thread at a
//    time; its backend commits are serialized with the apply thread's.
// A write transaction publishes its changes to readers atomically at end():
// the backend batch commits first, then the index and current revision move
// under the unique index lock, so a reader sees all of a revision or none.
// In a write group (beginGroup()..commitGroup(), apply thread) the
// transactions' end() stage instead: the key index takes their revisions at
// once (readers look up at currentRevision(), never above it, so they do not
// see them) and their rows wait in the group's batch, where later
// transactions of the group read them; commitGroup() commits the whole
// group as one backend batch, then publishes its last revision.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/metrics.h"
#include "cairn/status.h"
#include "cairn/storage.h"
#include "key_range.h"
#include "mvccpb/kv.pb.h"
#include "read_view.h"
#include "revision.h"
#include "tree_index.h"

namespace cairn::mvcc {

class ReadTxn;
class WriteTxn;

inline constexpr std::string_view kConsistentIndexKey = "consistent_index";
inline constexpr std::string_view kScheduledCompactKey = "scheduledCompactRev";
inline constexpr std::string_view kFinishedCompactKey = "finishedCompactRev";

class KvStore {
 public:
  struct Config {
    std::size_t compactionBatchLimit = 1000;  // key-bucket entries deleted per batch
    std::size_t restoreChunk = 10000;         // key-bucket entries read per scan step
  };

  explicit KvStore(storage::Backend& backend) : KvStore(backend, Config{}) {}
  KvStore(storage::Backend& backend, Config config);
  ~KvStore();
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  // Rebuilds the key index and revisions from the backend and finishes a
  // compaction that was scheduled but not finished (crash-safe compaction).
  // Call once after the backend is open, and again after the backend's state
  // was replaced (importState). Apply thread; readers must not be active.
  Status restore();

  // A fresh store starts at revision 1 (etcd's convention: the first write is 2).
  int64_t currentRevision() const { return currentRev_.load(std::memory_order_acquire); }
  // The last compaction revision, -1 if never compacted.
  int64_t compactedRevision() const { return compactMainRev_.load(std::memory_order_acquire); }
  uint64_t consistentIndex() const { return consistentIndex_.load(std::memory_order_acquire); }
  // Keys alive at the current revision (etcd_debugging_mvcc_keys_total);
  // lock-free, for metrics.
  int64_t liveKeyCount() const { return liveKeys_.load(std::memory_order_relaxed); }
  // Every backend commit's duration is observed here (etcd's
  // backend_commit_duration). Set before the store is shared.
  void observeCommits(Histogram* commitSeconds) { commitSeconds_ = commitSeconds; }

  // A consistent read-only view at the current revision. Thread-safe. While it
  // lives, compact() waits (as etcd's read transactions hold off compaction),
  // so keep it short.
  std::unique_ptr<ReadTxn> read() const;
  // One-shot range on a fresh read view. Thread-safe.
  Status range(std::string_view key, std::string_view end, const RangeOptions& opts,
               RangeResult* out) const;

  // etcd's HashByRev (HashKV): CRC-32C over the "key" bucket's name and
  // every (revision key, value) up to `rev` (0: the current revision),
  // leaving out revisions below the compaction that it will delete, so the
  // hash is the same on every member at a revision, and equal to etcd's for
  // the same history (the bucket's bytes are etcd's). Error::Compacted if
  // 0 < rev <= compactedRevision(), Error::FutureRev if rev >
  // currentRevision(). Any thread.
  struct KvHash {
    uint32_t hash = 0;
    int64_t currentRev = 0;
    int64_t compactRev = 0;
  };
  Status hashKv(int64_t rev, KvHash* out) const;
  // etcd's Maintenance.Hash (its backend's Hash with DefaultIgnores):
  // CRC-32C over each of etcd's bucket names that this backend holds, in
  // bbolt's order (alarm, auth, authRoles, authUsers, cluster, key, lease,
  // members, members_removed, meta), each followed by its keys and values
  // in key order, consistent_index left out. Plugin buckets are not
  // covered. Equal on members holding the same data, whatever their
  // backend; not equal to etcd's, whose members bucket is encoded
  // differently. `out->currentRev` is the revision hashed. Any thread.
  Status hash(KvHash* out) const;

  // Starts the write transaction of one applied entry. Apply thread only, one
  // at a time.
  std::unique_ptr<WriteTxn> write();

  // Write groups (apply thread). Why: a backend commit costs a transaction
  // and a consistent_index row each; the puts of one applied batch of
  // entries share them. Between beginGroup() and commitGroup() write
  // transactions and setConsistentIndex() stage (see above); nothing of
  // the group is visible to other threads, nor stored, until
  // commitGroup(), which commits it in one batch with the group's highest
  // consistent index and then publishes the revision. Durability does not
  // change: the raft log holds every entry before it is applied, and a
  // restart applies again what the backend's consistent_index does not
  // cover. Only write transactions and setConsistentIndex() may run inside
  // a group (compact() refuses); apply-thread reads of the store through
  // read() see the last committed group, so commit before one. A failed
  // commitGroup() fails the store, as a failed end() does.
  void beginGroup();
  Status commitGroup();
  bool grouping() const { return grouping_; }

  // Schedules compaction at `rev` (etcd semantics: Error::Compacted if
  // rev <= compactedRevision(), Error::FutureRev if rev > currentRevision()):
  // records scheduledCompactRev with `consistentIndex` in one batch, compacts
  // the key index (reads below `rev` now fail) and queues the physical
  // deletion for runPendingCompactions(). Apply thread.
  Status compact(int64_t rev, uint64_t consistentIndex);
  // Deletes superseded revisions of queued compactions from the backend, in
  // batches of Config::compactionBatchLimit, then records finishedCompactRev.
  // Stops after `maxBatches` batches (`*finished` false if work remains).
  // Any single thread; safe to run concurrently with reads and writes.
  Status runPendingCompactions(std::size_t maxBatches = SIZE_MAX, bool* finished = nullptr);
  bool hasPendingCompactions() const;

  // Persists `index` for an entry that wrote nothing (one small batch). A
  // no-op if it is not above the stored index. Apply thread.
  Status setConsistentIndex(uint64_t index);

  // Events of revisions [fromRev, toRev] in revision order, at most `limit`
  // keys of the key bucket (0: no limit); `*nextRev` is the first revision not
  // returned. DELETE events carry the key and mod_revision only; prev_kv is
  // not filled (read it at revision - 1 if needed). Error::Compacted if
  // fromRev < compactedRevision(). Thread-safe (watch catch-up).
  Status history(int64_t fromRev, int64_t toRev, std::size_t limit, std::vector<mvccpb::Event>* out,
                 int64_t* nextRev) const;

  // For tests and diagnostics: a copy of the key index.
  TreeIndex indexSnapshot() const;

 private:
  friend class ReadTxn;
  friend class WriteTxn;

  struct CompactionJob {
    int64_t rev = 0;
    RevisionSet keep;
    std::string next;  // first key-bucket key not yet examined
  };

  // Shared by both views: fetches `revs` (at most `limit`) from `snapshot`;
  // with `group`, rows staged in it first (a write transaction's view).
  static Status fetch(storage::ReadTxn& snapshot, const std::vector<Revision>& revs,
                      std::size_t limit, std::vector<mvccpb::KeyValue>* out,
                      const KvStore* group = nullptr);
  // The key-bucket row of `rev` staged in the open group, or null.
  const std::string* stagedRow(const Revision& rev) const;
  // The revision a new write transaction starts from (apply thread).
  int64_t writeRevision() const { return grouping_ ? stagedRev_ : currentRevision(); }
  // WriteTxn::end() inside a group: moves the transaction's batch into the
  // group and its changes into the index.
  Status stage(WriteTxn& txn, uint64_t consistentIndex);
  Status commitBatch(const storage::WriteBatch& batch);
  // compact() minus the consistent index; the caller holds compactMu_ uniquely.
  Status compactLocked(int64_t rev, uint64_t consistentIndex);
  // One batch of `job`; sets *done when the job has finished.
  Status compactionStep(CompactionJob& job, bool* done);

  storage::Backend& backend_;
  const Config config_;

  // Guards index_ and the consistency of currentRev_/compactMainRev_ with it.
  // Unique: the apply thread publishing a write/compaction, restore(). Shared:
  // readers' index lookups.
  mutable std::shared_mutex indexMu_;
  TreeIndex index_;                           // guarded by indexMu_
  std::atomic<int64_t> currentRev_{1};        // written under unique indexMu_
  std::atomic<int64_t> compactMainRev_{-1};   // written under unique indexMu_
  std::atomic<uint64_t> consistentIndex_{0};  // written by the apply thread
  std::atomic<int64_t> liveKeys_{0};          // written under unique indexMu_
  Histogram* commitSeconds_ = nullptr;        // set before the store is shared

  // etcd's store mutex: read views hold it shared for their lifetime so that
  // compaction cannot move the floor under them; compact() takes it uniquely.
  mutable std::shared_mutex compactMu_;

  // Serializes backend commits (apply thread vs the compaction runner).
  std::mutex commitMu_;
  // Set when a commit failed: the backend and the index may disagree, so every
  // later write fails until restore() (the server should stop).
  std::atomic<bool> failed_{false};

  // The open write group (apply thread only): its batch, the positions of
  // its key-bucket puts in it (ascending revision, for stagedRow), and the
  // revision and consistent index it reaches.
  bool grouping_ = false;
  storage::WriteBatch group_;
  std::vector<std::size_t> groupRows_;
  int64_t stagedRev_ = 1;
  uint64_t stagedIndex_ = 0;

  mutable std::mutex compactionMu_;
  std::deque<CompactionJob> pendingCompactions_;  // guarded by compactionMu_
  std::mutex compactionRunMu_;                    // one runPendingCompactions() at a time
};

}  // namespace cairn::mvcc
