#include "kv_store.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "big_endian.h"
#include "cairn/errors.h"
#include "read_txn.h"
#include "write_txn.h"

namespace cairn::mvcc {
namespace {

bool bytesToUint64(std::string_view b, uint64_t* v) {
  if (b.size() != 8) return false;
  *v = 0;
  for (char c : b) *v = (*v << 8) | static_cast<unsigned char>(c);
  return true;
}

Status corrupt(const std::string& what) {
  return Status(StatusCode::DataLoss, "mvcc: corrupt backend state: " + what);
}

// Reads a compaction mark (a revision key) from meta; 0 if absent.
Status readCompactMark(storage::ReadTxn& txn, std::string_view name, int64_t* out) {
  *out = 0;
  std::optional<std::string> v = txn.get(storage::kMetaBucket, name);
  if (!v) return Status::ok();
  Revision rev;
  if (!bytesToRevision(*v, &rev)) return corrupt(std::string(name));
  *out = rev.main;
  return Status::ok();
}

}  // namespace

KvStore::KvStore(storage::Backend& backend, Config config) : backend_(backend), config_(config) {}

KvStore::~KvStore() = default;

Status KvStore::commitBatch(const storage::WriteBatch& batch) {
  std::lock_guard lock(commitMu_);
  const auto start = std::chrono::steady_clock::now();
  Status s = backend_.commit(batch);
  if (commitSeconds_ != nullptr) {
    commitSeconds_->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (!s) failed_.store(true);
  return s;
}

Status KvStore::restore() {
  std::unique_lock compactGate(compactMu_);
  // A group still open is dropped with the state it was built on.
  grouping_ = false;
  group_.clear();
  groupRows_.clear();
  std::unique_ptr<storage::ReadTxn> txn = backend_.beginRead();

  int64_t finished = 0;
  int64_t scheduled = 0;
  if (Status s = readCompactMark(*txn, kFinishedCompactKey, &finished); !s) return s;
  if (Status s = readCompactMark(*txn, kScheduledCompactKey, &scheduled); !s) return s;
  uint64_t ci = 0;
  if (std::optional<std::string> v = txn->get(storage::kMetaBucket, kConsistentIndexKey)) {
    if (!bytesToUint64(*v, &ci)) return corrupt("consistent_index");
  }
  const int64_t compactRev = finished != 0 ? finished : -1;

  // Replay the key bucket in revision order into a fresh index.
  TreeIndex index;
  int64_t current = 1;
  std::string next = revisionToBytes(Revision{1, 0});
  for (;;) {
    std::vector<std::pair<std::string, std::string>> chunk;
    Status s = txn->range(storage::kKeyBucket, next, "", config_.restoreChunk, false,
                          [&](std::string_view k, std::string_view v) {
                            chunk.emplace_back(std::string(k), std::string(v));
                            return true;
                          });
    if (!s) return s;
    for (const auto& [k, v] : chunk) {
      Revision rev;
      mvccpb::KeyValue kv;
      if (!bytesToRevision(k, &rev) || !kv.ParseFromString(v)) return corrupt("key bucket entry");
      current = rev.main;
      KeyIndex* ki = index.find(kv.key());
      if (ki != nullptr) {
        s = isTombstoneKey(k) ? ki->tombstone(rev) : ki->put(rev);
        if (!s) return corrupt(s.message());
      } else if (!isTombstoneKey(k)) {
        // The oldest surviving revision of the key (compaction may have dropped
        // older ones): its stored create_revision and version seed the index.
        Revision created{kv.create_revision(), rev.main == kv.create_revision() ? rev.sub : 0};
        index.insert(kv.key()).restore(created, rev, kv.version());
      }
      // A tombstone of an unknown key: its generation was compacted away.
    }
    if (chunk.size() < config_.restoreChunk || config_.restoreChunk == 0) break;
    Revision last;
    bytesToRevision(chunk.back().first, &last);
    next = revisionToBytes(Revision{last.main, last.sub + 1});
  }
  txn.reset();
  if (current < compactRev) current = compactRev;

  {
    std::unique_lock lock(indexMu_);
    index_ = std::move(index);
    index_.recountLive();
    liveKeys_.store(static_cast<int64_t>(index_.liveCount()), std::memory_order_relaxed);
    currentRev_.store(current, std::memory_order_release);
    compactMainRev_.store(compactRev, std::memory_order_release);
    consistentIndex_.store(ci, std::memory_order_release);
  }
  {
    // No runner may hold a job while the queue is reset.
    std::lock_guard run(compactionRunMu_);
    std::lock_guard lock(compactionMu_);
    pendingCompactions_.clear();
  }
  failed_.store(false);

  if (scheduled != 0 && scheduled > compactRev) {
    // A compaction was scheduled but did not finish before the stop: redo it.
    // A future revision (cannot happen with a consistent backend) is skipped,
    // as etcd does.
    Status s = compactLocked(scheduled, 0);
    if (!s && !s.is(Error::FutureRev)) return s;
    compactGate.unlock();
    if (s) return runPendingCompactions();
  }
  return Status::ok();
}

std::unique_ptr<ReadTxn> KvStore::read() const {
  return std::unique_ptr<ReadTxn>(new ReadTxn(*this));
}

Status KvStore::range(std::string_view key, std::string_view end, const RangeOptions& opts,
                      RangeResult* out) const {
  return read()->range(key, end, opts, out);
}

std::unique_ptr<WriteTxn> KvStore::write() {
  return std::unique_ptr<WriteTxn>(new WriteTxn(*this, writeRevision()));
}

void KvStore::beginGroup() {
  if (grouping_) return;
  grouping_ = true;
  stagedRev_ = currentRevision();
  stagedIndex_ = consistentIndex();
}

Status KvStore::stage(WriteTxn& txn, uint64_t consistentIndex) {
  const bool newIndex = consistentIndex > stagedIndex_;
  if (txn.batch_.empty() && !newIndex) return Status::ok();
  const std::size_t base = group_.size();
  const auto& ops = txn.batch_.ops();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].type == storage::WriteBatch::OpType::Put && ops[i].bucket == storage::kKeyBucket) {
      groupRows_.push_back(base + i);
    }
  }
  group_.append(std::move(txn.batch_));
  if (newIndex) stagedIndex_ = consistentIndex;
  if (txn.changes_.empty()) return Status::ok();
  std::unique_lock lock(indexMu_);
  for (const WriteTxn::Change& c : txn.changes_) {
    Status s = c.tombstone ? index_.tombstone(c.key, c.rev) : index_.put(c.key, c.rev, c.hint);
    if (!s) {
      // The index now holds part of a transaction the group will not
      // store consistently.
      failed_.store(true);
      return Status(StatusCode::Internal, "mvcc: index update failed: " + s.message());
    }
  }
  stagedRev_ = txn.beginRev_ + 1;
  return Status::ok();
}

Status KvStore::commitGroup() {
  if (!grouping_) return Status::ok();
  grouping_ = false;
  if (failed_.load()) {
    // A staged transaction failed half-way into the index: store nothing.
    group_.clear();
    groupRows_.clear();
    return Status(StatusCode::Internal, "mvcc: store failed, restart needed");
  }
  const bool newIndex = stagedIndex_ > consistentIndex();
  if (newIndex) group_.put(storage::kMetaBucket, kConsistentIndexKey, uint64ToBytes(stagedIndex_));
  Status s = group_.empty() ? Status::ok() : commitBatch(group_);
  group_.clear();
  groupRows_.clear();
  if (!s) return s;
  if (stagedRev_ != currentRevision()) {
    std::unique_lock lock(indexMu_);
    currentRev_.store(stagedRev_, std::memory_order_release);
    liveKeys_.store(static_cast<int64_t>(index_.liveCount()), std::memory_order_relaxed);
  }
  if (newIndex) consistentIndex_.store(stagedIndex_, std::memory_order_release);
  return Status::ok();
}

const std::string* KvStore::stagedRow(const Revision& rev) const {
  if (!grouping_ || rev.main <= currentRevision() || groupRows_.empty()) return nullptr;
  const std::string key = revisionToBytes(rev);
  const auto& ops = group_.ops();
  // groupRows_ is in revision order, and revision keys sort as revisions.
  auto it = std::lower_bound(groupRows_.begin(), groupRows_.end(), key,
                             [&](std::size_t i, const std::string& k) { return ops[i].key < k; });
  if (it == groupRows_.end() || ops[*it].key != key) return nullptr;
  return &ops[*it].value;
}

Status KvStore::fetch(storage::ReadTxn& snapshot, const std::vector<Revision>& revs,
                      std::size_t limit, std::vector<mvccpb::KeyValue>* out, const KvStore* group) {
  const std::size_t n = std::min(limit, revs.size());
  out->reserve(out->size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string* staged = group != nullptr ? group->stagedRow(revs[i]) : nullptr;
    std::optional<std::string> v;
    if (staged == nullptr) {
      v = snapshot.get(storage::kKeyBucket, revisionToBytes(revs[i]));
      if (!v) {
        return Status(StatusCode::Internal, "mvcc: range cannot find revision " +
                                                std::to_string(revs[i].main) + "." +
                                                std::to_string(revs[i].sub));
      }
      staged = &*v;
    }
    mvccpb::KeyValue& kv = out->emplace_back();
    if (!kv.ParseFromString(*staged)) return corrupt("cannot parse a stored KeyValue");
  }
  return Status::ok();
}

Status KvStore::compact(int64_t rev, uint64_t consistentIndex) {
  std::unique_lock compactGate(compactMu_);
  return compactLocked(rev, consistentIndex);
}

Status KvStore::compactLocked(int64_t rev, uint64_t consistentIndex) {
  if (grouping_)
    return Status(StatusCode::FailedPrecondition, "mvcc: compaction inside a write group");
  if (rev <= compactedRevision()) return Status(Error::Compacted);
  if (rev > currentRevision()) return Status(Error::FutureRev);
  if (failed_.load()) return Status(StatusCode::Internal, "mvcc: store failed, restart needed");

  // The mark goes first: if we stop before finishing, restore() redoes it.
  storage::WriteBatch batch;
  batch.put(storage::kMetaBucket, kScheduledCompactKey, revisionToBytes(Revision{rev, 0}));
  if (consistentIndex != 0) {
    batch.put(storage::kMetaBucket, kConsistentIndexKey, uint64ToBytes(consistentIndex));
  }
  if (Status s = commitBatch(batch); !s) return s;
  if (consistentIndex > this->consistentIndex()) {
    consistentIndex_.store(consistentIndex, std::memory_order_release);
  }

  CompactionJob job;
  job.rev = rev;
  job.next = std::string(kRevisionBytesLen, '\0');
  {
    std::unique_lock lock(indexMu_);
    compactMainRev_.store(rev, std::memory_order_release);
    job.keep = index_.compact(rev);
  }
  std::lock_guard lock(compactionMu_);
  pendingCompactions_.push_back(std::move(job));
  return Status::ok();
}

bool KvStore::hasPendingCompactions() const {
  std::lock_guard lock(compactionMu_);
  return !pendingCompactions_.empty();
}

Status KvStore::compactionStep(CompactionJob& job, bool* done) {
  // Revisions up to and including job.rev: the 8-byte main rev + 1 prefix
  // sorts after every {job.rev, sub} key.
  const std::string end = revisionToBytes(Revision{job.rev + 1, 0}).substr(0, 8);
  std::vector<std::string> keys;
  std::unique_ptr<storage::ReadTxn> txn = backend_.beginRead();
  Status s = txn->range(storage::kKeyBucket, job.next, end, config_.compactionBatchLimit, false,
                        [&](std::string_view k, std::string_view) {
                          keys.emplace_back(k);
                          return true;
                        });
  txn.reset();
  if (!s) return s;

  storage::WriteBatch batch;
  Revision last;
  for (const std::string& k : keys) {
    if (!bytesToRevision(k, &last)) return corrupt("key bucket key");
    if (!job.keep.contains(last)) batch.del(storage::kKeyBucket, k);
  }
  *done = keys.size() < config_.compactionBatchLimit || config_.compactionBatchLimit == 0;
  if (*done) {
    batch.put(storage::kMetaBucket, kFinishedCompactKey, revisionToBytes(Revision{job.rev, 0}));
  } else {
    job.next = revisionToBytes(Revision{last.main, last.sub + 1});
  }
  return commitBatch(batch);
}

Status KvStore::runPendingCompactions(std::size_t maxBatches, bool* finished) {
  std::lock_guard run(compactionRunMu_);
  std::size_t batches = 0;
  for (;;) {
    CompactionJob* job = nullptr;
    {
      std::lock_guard lock(compactionMu_);
      if (pendingCompactions_.empty()) break;
      // Jobs are only popped here, under compactionRunMu_, so the front stays
      // valid while the lock is released (deque push_back keeps references).
      job = &pendingCompactions_.front();
    }
    if (batches == maxBatches) {
      if (finished) *finished = false;
      return Status::ok();
    }
    bool done = false;
    Status s = compactionStep(*job, &done);
    ++batches;
    if (!s) return s;
    if (done) {
      std::lock_guard lock(compactionMu_);
      pendingCompactions_.pop_front();
    }
  }
  if (finished) *finished = true;
  return Status::ok();
}

Status KvStore::setConsistentIndex(uint64_t index) {
  if (grouping_) {
    if (index > stagedIndex_) stagedIndex_ = index;
    return Status::ok();
  }
  if (index <= consistentIndex()) return Status::ok();
  if (failed_.load()) return Status(StatusCode::Internal, "mvcc: store failed, restart needed");
  storage::WriteBatch batch;
  batch.put(storage::kMetaBucket, kConsistentIndexKey, uint64ToBytes(index));
  if (Status s = commitBatch(batch); !s) return s;
  consistentIndex_.store(index, std::memory_order_release);
  return Status::ok();
}

Status KvStore::history(int64_t fromRev, int64_t toRev, std::size_t limit,
                        std::vector<mvccpb::Event>* out, int64_t* nextRev) const {
  std::shared_lock compactGate(compactMu_);
  if (fromRev < compactedRevision()) return Status(Error::Compacted);
  const int64_t current = currentRevision();
  if (toRev > current) toRev = current;
  *nextRev = fromRev;
  if (fromRev > toRev) return Status::ok();
  std::unique_ptr<storage::ReadTxn> txn = backend_.beginRead();
  const std::string begin = revisionToBytes(Revision{fromRev, 0});
  const std::string end = revisionToBytes(Revision{toRev + 1, 0}).substr(0, 8);
  Status failure;
  Revision last{fromRev, 0};
  std::size_t n = 0;
  bool stopped = false;
  Status s = txn->range(
      storage::kKeyBucket, begin, end, 0, false, [&](std::string_view k, std::string_view v) {
        Revision rev;
        if (!bytesToRevision(k, &rev)) {
          failure = corrupt("key bucket key");
          return false;
        }
        // Never split a revision: stop at a main-revision
        // boundary once past the limit.
        if (limit != 0 && n >= limit && rev.main != last.main) {
          stopped = true;
          return false;
        }
        mvccpb::Event& ev = out->emplace_back();
        if (!ev.mutable_kv()->ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          failure = corrupt("cannot parse a stored KeyValue");
          return false;
        }
        if (isTombstoneKey(k)) {
          ev.set_type(mvccpb::Event::DELETE);
          ev.mutable_kv()->set_mod_revision(rev.main);
        } else {
          ev.set_type(mvccpb::Event::PUT);
        }
        last = rev;
        ++n;
        return true;
      });
  if (!s) return s;
  if (!failure) return failure;
  *nextRev = stopped ? last.main + 1 : toRev + 1;
  return Status::ok();
}

TreeIndex KvStore::indexSnapshot() const {
  std::shared_lock lock(indexMu_);
  return index_;
}

}  // namespace cairn::mvcc
