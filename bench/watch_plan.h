#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "watch_options.h"

namespace cairn::bench {

// Names the keys of a watch run and maps received keys back to ids.
// Watched keys are <prefix>k<index, zero-padded>; a few "noise" keys
// <prefix>n<index> sit outside every single-key, range and prefix watcher,
// so a server that leaks them is caught.
class WatchKeySpace {
 public:
  static constexpr std::int64_t kNoiseKeys = 50;
  static constexpr std::uint32_t kForeignKey = UINT32_MAX;

  WatchKeySpace(std::string prefix, std::int64_t keys);

  std::string key(std::int64_t index) const;  // index may equal keys() (a range end)
  std::string noiseKey(std::int64_t index) const;
  // Watched key i is id i, noise key j is id keys()+j, anything else kForeignKey.
  std::uint32_t idOf(const std::string& key) const;
  std::string nameOf(std::uint32_t id) const;

  const std::string& prefix() const { return prefix_; }
  std::int64_t keys() const { return keys_; }
  int digits() const { return digits_; }

 private:
  std::string prefix_;
  std::int64_t keys_;
  int digits_;  // enough for the index keys() itself
};

// The smallest key greater than every key starting with `prefix` (etcd's
// prefix range end); "\0" when no such key exists.
std::string prefixRangeEnd(const std::string& prefix);

struct WatcherSpec {
  std::string key;
  std::string rangeEnd;  // empty: the key alone; "\0": every key >= key
  bool prevKv = false;
  bool noPut = false;     // filter NOPUT
  bool noDelete = false;  // filter NODELETE
  // Negative: start at the next revision. Otherwise a point in [0, 1) of
  // the history phase's revisions, resolved once the history is written.
  double pastStart = -1;
  const char* kind = "";  // for reports: key, range, prefix, all, from-key, filtered

  bool covers(const std::string& k) const;
};

struct WriteOp {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string rangeEnd;  // deletes only; empty: the key alone
  std::string value;
};

// One request: a Put, a DeleteRange, or a Txn without compares whose
// success ops touch distinct keys (etcd rejects overlapping ops in a txn).
// Every txn holds a put, so it always creates a revision.
struct WriteSpec {
  bool txn = false;
  std::vector<WriteOp> ops;
};

// The whole workload, derived from the options and the seed alone.
struct WatchPlan {
  std::vector<WatcherSpec> watchers;  // stream s owns [s*perStream, (s+1)*perStream)
  std::vector<WriteSpec> writes;

  static WatchPlan make(const WatchOptions& options, const WatchKeySpace& keys);
};

}  // namespace cairn::bench
