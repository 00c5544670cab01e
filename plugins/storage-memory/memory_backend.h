// MemoryBackend: a non-persistent storage::Backend holding every bucket in
// ordered in-memory maps (tests, ephemeral members).
//
// Snapshot isolation design: multi-version values. Every key keeps a short
// list of (commit sequence, value-or-tombstone) versions, and a read
// transaction remembers the sequence number current when it began, reading the
// newest version at or below it. Why not copy-on-write of whole bucket maps:
// a commit would then copy the bucket (the MVCC "key" bucket holds the whole
// history), O(n) per commit. Versions cost O(changed keys) per commit, and
// versions no open reader can see are garbage collected as soon as the oldest
// reader moves on. Readers take the shared lock only briefly: range scans copy
// a bounded chunk of entries under the lock and call the visitor without it,
// so a slow visitor never stalls a commit.
//
// importState builds a fresh State and swaps it in; readers that started
// before keep the old State alive through their shared_ptr.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/storage.h"

namespace cairn::storage {

class MemoryBackend : public Backend {
 public:
  MemoryBackend();
  ~MemoryBackend() override;

  std::string_view name() const override { return "memory"; }
  bool persistent() const override { return false; }

  Status open(const Options& options) override;
  void close() override;

  Status commit(const WriteBatch& batch) override;
  Status sync() override;

  std::unique_ptr<ReadTxn> beginRead() override;

  uint64_t sizeAllocated() override;
  uint64_t sizeInUse() override;
  Status defragment() override;

  Status exportState(const std::function<Status(std::string_view chunk)>& sink) override;
  Status importState(const std::function<bool(std::string& chunk)>& source) override;

  // One version of a key: `value` empty means deleted at `seq`.
  struct Version {
    uint64_t seq;
    std::optional<std::string> value;
  };
  // Versions ascending by seq; never empty while in the map.
  using Bucket = std::map<std::string, std::vector<Version>, std::less<>>;

  // The whole data set; replaced as a unit by importState.
  struct State {
    mutable std::shared_mutex mutex;
    // Guarded by `mutex` (unique to change, shared to read).
    std::map<std::string, Bucket, std::less<>> buckets;
    uint64_t commitSeq = 0;  // sequence of the newest visible batch
    // Sequences of open read transactions (multiset: several may share one).
    std::multiset<uint64_t> readers;
    // Keys holding more than one version or a tombstone, to revisit once the
    // oldest reader has moved past their old versions.
    std::set<std::pair<std::string, std::string>> pendingGc;
    uint64_t gcHorizon = 0;   // oldest reader seq at the last full sweep
    uint64_t liveBytes = 0;   // key+value bytes of newest live versions
    uint64_t totalBytes = 0;  // key+value bytes of every version held

    // Visible version of `versions` at `seq`, or nullptr.
    static const std::string* visible(const std::vector<Version>& versions, uint64_t seq);
    // Oldest sequence any reader (or a future reader) can still see.
    uint64_t horizon() const { return readers.empty() ? commitSeq : *readers.begin(); }
    // Drops versions of bucket/key no reader can see; true if nothing is pending.
    bool collect(Bucket& bucket, Bucket::iterator it, uint64_t horizon);
    void sweep();
  };

 private:
  std::shared_ptr<State> current() const;

  // Serializes writers (commit, importState, defragment); taken before any
  // State mutex.
  std::mutex writeMutex_;
  // Guards `state_` (the pointer, not the State).
  mutable std::mutex stateMutex_;
  std::shared_ptr<State> state_;
  bool open_ = false;  // guarded by writeMutex_
};

}  // namespace cairn::storage
