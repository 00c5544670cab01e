#include "write_txn.h"

#include <iterator>

#include "big_endian.h"
#include "cairn/errors.h"
#include "key_range.h"
#include "kv_store.h"

namespace cairn::mvcc {
namespace {

Status endedError() {
  return Status(StatusCode::FailedPrecondition, "mvcc: write transaction already ended");
}

}  // namespace

WriteTxn::WriteTxn(KvStore& store, int64_t beginRev) : store_(store), beginRev_(beginRev) {}

int64_t WriteTxn::firstRev() const {
  return store_.compactedRevision();
}

storage::ReadTxn& WriteTxn::snapshot() {
  // Only the apply thread commits KV data and it is running this transaction,
  // so one snapshot holds every committed revision <= beginRev_ (with the
  // open write group's rows, which fetch() reads from the group).
  if (!snapshot_) snapshot_ = store_.backend_.beginRead();
  return *snapshot_;
}

bool WriteTxn::prior(std::string_view key, int64_t* created, int64_t* version,
                     TreeIndex::Hint* hint) {
  if (auto it = pending_.find(key); it != pending_.end()) {
    if (it->second.deleted) return false;
    const mvccpb::KeyValue& kv = events_[it->second.event].kv();
    *created = kv.create_revision();
    *version = kv.version();
    return true;
  }
  // The index holds the generation's creation and version count, so a put
  // never reads the previous value from the backend.
  Revision modified;
  Revision createdRev;
  std::shared_lock lock(store_.indexMu_);
  if (!store_.index_.get(key, beginRev_, &modified, &createdRev, version, hint)) return false;
  *created = createdRev.main;
  return true;
}

void WriteTxn::liveItems(std::string_view key, std::string_view end, std::vector<Item>* out) {
  const KeyRange range{key, end};
  std::vector<Item> committed;
  {
    std::shared_lock lock(store_.indexMu_);
    std::vector<TreeIndex::Entry> entries;
    store_.index_.range(range, beginRev_, &entries);
    committed.reserve(entries.size());
    for (const auto& e : entries) committed.push_back(Item{std::string(e.key), e.rev, kCommitted});
  }
  // Merge with this transaction's pending state, which wins for its keys.
  auto p = pending_.lower_bound(key);
  auto pendingInRange = [&] { return p != pending_.end() && !range.pastEnd(p->first); };
  std::size_t c = 0;
  while (c < committed.size() || pendingInRange()) {
    const bool takePending =
        pendingInRange() && (c == committed.size() || p->first <= committed[c].key);
    if (takePending) {
      if (c < committed.size() && p->first == committed[c].key) ++c;
      if (!p->second.deleted) {
        out->push_back(Item{p->first, Revision{}, p->second.event});
      }
      ++p;
    } else {
      out->push_back(std::move(committed[c++]));
    }
  }
}

Status WriteTxn::load(const Item& item, mvccpb::KeyValue* kv) {
  if (item.event != kCommitted) {
    *kv = events_[item.event].kv();
    return Status::ok();
  }
  std::vector<mvccpb::KeyValue> kvs;
  if (Status s = KvStore::fetch(snapshot(), {item.rev}, 1, &kvs, &store_); !s) return s;
  *kv = std::move(kvs[0]);
  return Status::ok();
}

Status WriteTxn::range(std::string_view key, std::string_view end, const RangeOptions& opts,
                       RangeResult* out) {
  const int64_t curRev = viewRevision();
  int64_t rev = opts.rev;
  if (rev > curRev) return Status(Error::FutureRev);
  if (rev <= 0) rev = curRev;
  if (rev < store_.compactedRevision()) return Status(Error::Compacted);
  out->kvs.clear();
  out->rev = curRev;

  if (rev == beginRev_ + 1) {
    // Reads at this transaction's own revision see its writes.
    std::vector<Item> items;
    liveItems(key, end, &items);
    out->count = static_cast<int64_t>(items.size());
    if (opts.countOnly) return Status::ok();
    std::size_t limit = items.size();
    if (opts.limit > 0 && static_cast<std::size_t>(opts.limit) < limit) limit = opts.limit;
    out->kvs.resize(limit);
    for (std::size_t i = 0; i < limit; ++i) {
      if (Status s = load(items[i], &out->kvs[i]); !s) return s;
    }
    return Status::ok();
  }

  std::vector<Revision> revs;
  {
    std::shared_lock lock(store_.indexMu_);
    std::vector<TreeIndex::Entry> entries;
    store_.index_.range(KeyRange{key, end}, rev, &entries);
    for (const auto& e : entries) revs.push_back(e.rev);
  }
  out->count = static_cast<int64_t>(revs.size());
  if (opts.countOnly || revs.empty()) return Status::ok();
  const std::size_t limit = opts.limit > 0 ? static_cast<std::size_t>(opts.limit) : revs.size();
  return KvStore::fetch(snapshot(), revs, limit, &out->kvs, &store_);
}

std::map<std::string, WriteTxn::Pending, std::less<>>::iterator WriteTxn::pendingFor(
    std::string_view key) {
  auto it = pending_.lower_bound(key);
  if (it != pending_.end() && it->first == key) return it;
  return pending_.emplace_hint(it, std::string(key), Pending{});
}

Status WriteTxn::put(std::string_view key, std::string_view value, int64_t lease, int64_t* rev) {
  if (ended_) return endedError();
  int64_t created = 0;
  int64_t version = 0;
  TreeIndex::Hint hint;
  const bool existed = prior(key, &created, &version, &hint);

  const Revision r{beginRev_ + 1, static_cast<int64_t>(changes_.size())};
  // The event holds the new kv (no prev_kv: whoever needs it reads it at
  // mod_revision - 1, as the watch hub does for its prev_kv watchers, and
  // etcd's watch); pending_ points at it for reads later in this txn.
  mvccpb::Event& ev = events_.emplace_back();
  ev.set_type(mvccpb::Event::PUT);
  mvccpb::KeyValue& kv = *ev.mutable_kv();
  kv.set_key(key.data(), key.size());
  kv.set_value(value.data(), value.size());
  kv.set_create_revision(existed ? created : r.main);
  kv.set_mod_revision(r.main);
  kv.set_version(existed ? version + 1 : 1);
  kv.set_lease(lease);
  batch_.putOwned(storage::kKeyBucket, revisionToBytes(r), kv.SerializeAsString());

  auto p = pendingFor(key);
  p->second.deleted = false;
  p->second.event = events_.size() - 1;
  changes_.push_back(Change{p->first, r, false, hint});
  *rev = r.main;
  return Status::ok();
}

Status WriteTxn::deleteRange(std::string_view key, std::string_view end, int64_t* deleted,
                             int64_t* rev) {
  if (ended_) return endedError();
  std::vector<Item> items;
  liveItems(key, end, &items);
  for (const Item& item : items) {
    mvccpb::KeyValue prev;
    if (Status s = load(item, &prev); !s) return s;
    const Revision r{beginRev_ + 1, static_cast<int64_t>(changes_.size())};
    // A tombstone stores only the key.
    mvccpb::KeyValue tomb;
    tomb.set_key(item.key);
    batch_.put(storage::kKeyBucket, revisionToBytes(r, true), tomb.SerializeAsString());

    mvccpb::Event& ev = events_.emplace_back();
    ev.set_type(mvccpb::Event::DELETE);
    ev.mutable_kv()->set_key(item.key);
    ev.mutable_kv()->set_mod_revision(r.main);
    *ev.mutable_prev_kv() = std::move(prev);

    auto p = pendingFor(item.key);
    p->second.deleted = true;
    changes_.push_back(Change{p->first, r, true, {}});
  }
  *deleted = static_cast<int64_t>(items.size());
  *rev = viewRevision();
  return Status::ok();
}

void WriteTxn::moveEventsTo(std::vector<mvccpb::Event>* out) {
  if (out->empty()) {
    out->swap(events_);
  } else {
    out->insert(out->end(), std::make_move_iterator(events_.begin()),
                std::make_move_iterator(events_.end()));
  }
  events_.clear();
  pending_.clear();  // it pointed into events_
}

Status WriteTxn::end(uint64_t consistentIndex) {
  if (ended_) return endedError();
  ended_ = true;
  snapshot_.reset();
  if (store_.failed_.load()) {
    return Status(StatusCode::Internal, "mvcc: store failed, restart needed");
  }
  if (store_.writeRevision() != beginRev_) {
    return Status(StatusCode::FailedPrecondition,
                  "mvcc: another write transaction committed during this one");
  }
  if (store_.grouping()) return store_.stage(*this, consistentIndex);
  const bool newIndex = consistentIndex > store_.consistentIndex();
  if (newIndex) {
    batch_.put(storage::kMetaBucket, kConsistentIndexKey, uint64ToBytes(consistentIndex));
  }
  if (batch_.empty()) return Status::ok();
  if (Status s = store_.commitBatch(batch_); !s) return s;

  if (!changes_.empty()) {
    std::unique_lock lock(store_.indexMu_);
    for (const Change& c : changes_) {
      Status s = c.tombstone ? store_.index_.tombstone(c.key, c.rev)
                             : store_.index_.put(c.key, c.rev, c.hint);
      if (!s) {
        // The backend already has the batch: the index no longer matches it.
        store_.failed_.store(true);
        return Status(StatusCode::Internal, "mvcc: index update failed: " + s.message());
      }
    }
    store_.currentRev_.store(beginRev_ + 1, std::memory_order_release);
    store_.liveKeys_.store(static_cast<int64_t>(store_.index_.liveCount()),
                           std::memory_order_relaxed);
  }
  if (newIndex) store_.consistentIndex_.store(consistentIndex, std::memory_order_release);
  return Status::ok();
}

}  // namespace cairn::mvcc
