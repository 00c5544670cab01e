#include "read_txn.h"

#include "cairn/errors.h"
#include "kv_store.h"

namespace cairn::mvcc {

ReadTxn::ReadTxn(const KvStore& store) : store_(store), compactLock_(store.compactMu_) {
  // Under the index lock the current revision is fully committed to the
  // backend (a writer commits before it publishes), so a snapshot taken now
  // holds every revision up to rev_.
  std::shared_lock lock(store_.indexMu_);
  rev_ = store_.currentRevision();
  firstRev_ = store_.compactedRevision();
  snapshot_ = store_.backend_.beginRead();
}

Status ReadTxn::range(std::string_view key, std::string_view end, const RangeOptions& opts,
                      RangeResult* out) {
  int64_t rev = opts.rev;
  if (rev > rev_) return Status(Error::FutureRev);
  if (rev <= 0) rev = rev_;
  if (rev < firstRev_) return Status(Error::Compacted);

  std::vector<Revision> revs;
  {
    std::shared_lock lock(store_.indexMu_);
    std::vector<TreeIndex::Entry> entries;
    store_.index_.range(KeyRange{key, end}, rev, &entries);
    revs.reserve(entries.size());
    for (const auto& e : entries) revs.push_back(e.rev);
  }
  out->kvs.clear();
  out->rev = rev_;
  out->count = static_cast<int64_t>(revs.size());
  if (opts.countOnly || revs.empty()) return Status::ok();
  const std::size_t limit = opts.limit > 0 ? static_cast<std::size_t>(opts.limit) : revs.size();
  return KvStore::fetch(*snapshot_, revs, limit, &out->kvs);
}

}  // namespace cairn::mvcc
