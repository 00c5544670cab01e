// ReadView: what request logic (ranges, txn compares) needs from a view of the
// store, whether a read-only snapshot (ReadTxn) or the write transaction being
// built on the apply thread (WriteTxn, which sees its own writes).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "mvccpb/kv.pb.h"

namespace cairn::mvcc {

struct RangeOptions {
  int64_t limit = 0;  // <= 0: no limit
  int64_t rev = 0;    // <= 0: the view's revision
  bool countOnly = false;
};

struct RangeResult {
  std::vector<mvccpb::KeyValue> kvs;  // ascending by key, at most `limit`
  int64_t rev = 0;                    // the view's revision (not the requested one)
  int64_t count = 0;                  // all matching keys, regardless of limit
};

class ReadView {
 public:
  virtual ~ReadView() = default;
  // etcd's Rev(): the revision reads default to (for a write transaction, the
  // revision it started from).
  virtual int64_t rev() const = 0;
  // etcd's FirstRev(): the compaction floor; reads below it fail.
  virtual int64_t firstRev() const = 0;
  // Keys of [key, end) (etcd's conventions, see key_range.h) at opts.rev.
  // Errors: Error::Compacted if opts.rev < firstRev(), Error::FutureRev if above
  // the view's revision; Internal on backend failure.
  virtual Status range(std::string_view key, std::string_view end, const RangeOptions& opts,
                       RangeResult* out) = 0;
};

}  // namespace cairn::mvcc
