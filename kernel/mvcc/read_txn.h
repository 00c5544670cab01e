// ReadTxn: a consistent read-only view of a KvStore at the revision current
// when it was created (etcd's TxnRead). Every range in it sees the same
// revision, however many writes commit meanwhile. Use from one thread.
#pragma once

#include <memory>
#include <shared_mutex>

#include "cairn/storage.h"
#include "read_view.h"

namespace cairn::mvcc {

class KvStore;

class ReadTxn : public ReadView {
 public:
  int64_t rev() const override { return rev_; }
  int64_t firstRev() const override { return firstRev_; }
  Status range(std::string_view key, std::string_view end, const RangeOptions& opts,
               RangeResult* out) override;

 private:
  friend class KvStore;
  explicit ReadTxn(const KvStore& store);

  const KvStore& store_;
  // Holds off compaction (see KvStore::compactMu_) while the view lives.
  std::shared_lock<std::shared_mutex> compactLock_;
  std::unique_ptr<storage::ReadTxn> snapshot_;  // contains every revision <= rev_
  int64_t rev_ = 0;
  int64_t firstRev_ = 0;
};

}  // namespace cairn::mvcc
