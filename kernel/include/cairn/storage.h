// The storage backend SDK: what a storage plugin implements.
//
// A backend holds named buckets of ordered byte keys (memcmp order). The
// kernel keeps the MVCC state and `consistent_index` in it. Durability model:
// the WAL is the source of truth, so a backend may make commits durable
// lazily, but after a crash it must come back as some *prefix* of the
// committed batches (every batch wholly present or wholly absent, in order),
// and `sync()` makes everything committed so far durable before returning.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/logger.h"
#include "cairn/status.h"

namespace cairn::storage {

// Bucket names used by the kernel (plugins may own others, named by them).
inline constexpr std::string_view kKeyBucket = "key";    // MVCC revisions -> KeyValue
inline constexpr std::string_view kMetaBucket = "meta";  // consistent_index, compaction marks
inline constexpr std::string_view kLeaseBucket = "lease";
inline constexpr std::string_view kAuthBucket = "auth";
inline constexpr std::string_view kMembersBucket = "members";
// Ids removed from the cluster (never to return), and the indexes of conf
// changes the apply loop refused (so a replay refuses them again).
inline constexpr std::string_view kMembersRemovedBucket = "members_removed";
inline constexpr std::string_view kConfChangesRefusedBucket = "conf_changes_refused";
inline constexpr std::string_view kAlarmBucket = "alarm";

// A set of mutations applied atomically by Backend::commit(). Operations apply
// in the order they were added.
class WriteBatch {
 public:
  enum class OpType { Put, Delete, DeleteRange };
  struct Op {
    OpType type;
    std::string bucket;
    std::string key;
    std::string value;  // Put: the value; DeleteRange: the exclusive end key
  };

  void put(std::string_view bucket, std::string_view key, std::string_view value) {
    ops_.push_back({OpType::Put, std::string(bucket), std::string(key), std::string(value)});
  }
  // The same, taking over built strings instead of copying them.
  void putOwned(std::string_view bucket, std::string&& key, std::string&& value) {
    ops_.push_back({OpType::Put, std::string(bucket), std::move(key), std::move(value)});
  }
  void del(std::string_view bucket, std::string_view key) {
    ops_.push_back({OpType::Delete, std::string(bucket), std::string(key), {}});
  }
  // Deletes every key in [begin, end).
  void delRange(std::string_view bucket, std::string_view begin, std::string_view end) {
    ops_.push_back(
        {OpType::DeleteRange, std::string(bucket), std::string(begin), std::string(end)});
  }

  // Moves `other`'s ops to the end of this batch, leaving `other` empty.
  void append(WriteBatch&& other) {
    ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
                std::make_move_iterator(other.ops_.end()));
    other.ops_.clear();
  }

  const std::vector<Op>& ops() const { return ops_; }
  std::size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  void clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

// Visitor for range scans: return false to stop early.
using KeyValueVisitor = std::function<bool(std::string_view key, std::string_view value)>;

// A read transaction over a consistent snapshot of the backend: it sees every
// batch committed before it began and none after. It may run concurrently with
// commits and other read transactions. Use from one thread at a time.
class ReadTxn {
 public:
  virtual ~ReadTxn() = default;
  virtual std::optional<std::string> get(std::string_view bucket, std::string_view key) = 0;
  // Visits keys in [begin, end) in ascending order (descending if `reverse`).
  // An empty `end` means "to the end of the bucket". `limit` 0 means no limit.
  virtual Status range(std::string_view bucket, std::string_view begin, std::string_view end,
                       std::size_t limit, bool reverse, const KeyValueVisitor& visit) = 0;
};

struct Options {
  std::string path;  // directory the backend owns (created if missing); unused by memory
  // Backend-specific settings from --storage-option key=value flags.
  std::vector<std::pair<std::string, std::string>> settings;
  // Where the backend reports what it does on its own (a data dir rewritten
  // at open, say), as the server's structured log lines; null: stderr.
  // Used only within open().
  Logger* logger = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // The short name given to --storage-backend ("wiredtiger", "memory").
  virtual std::string_view name() const = 0;
  // True if state survives a process restart (the kernel then replays the WAL
  // only above the stored consistent_index; otherwise it restores from the
  // last snapshot file).
  virtual bool persistent() const = 0;

  virtual Status open(const Options& options) = 0;
  virtual void close() = 0;

  // Applies `batch` atomically. Thread-safe against readers; the kernel
  // commits from one thread at a time.
  virtual Status commit(const WriteBatch& batch) = 0;
  // Makes every batch committed so far durable (e.g. a checkpoint): every
  // batch whose commit() returned before sync() was called. The kernel may
  // call it from a thread other than the committing one, while commits go on
  // (the member's snapshots are taken off the apply loop).
  virtual Status sync() = 0;

  virtual std::unique_ptr<ReadTxn> beginRead() = 0;

  // Bytes the backend occupies on disk / holds in live data.
  virtual uint64_t sizeAllocated() = 0;
  virtual uint64_t sizeInUse() = 0;
  // Returns unused space to the file system; readers and writers may block.
  virtual Status defragment() = 0;

  // Streams the whole state (every bucket) as opaque chunks, from a consistent
  // snapshot, to `sink`; stops early if `sink` fails.
  virtual Status exportState(const std::function<Status(std::string_view chunk)>& sink) = 0;
  // Replaces the whole state with one produced by exportState (of any backend:
  // the stream format is the kernel's, see storage_stream.h). `source` fills
  // `chunk` and returns false at end of stream.
  virtual Status importState(const std::function<bool(std::string& chunk)>& source) = 0;
};

}  // namespace cairn::storage
