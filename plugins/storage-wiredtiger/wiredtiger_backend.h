// WiredTigerBackend: the default durable storage::Backend.
//
// Layout: ONE WiredTiger table holds every bucket; a row key is the bucket's
// prefix and the key (wiredtiger_key.h: two row layouts, one per data dir).
// This keeps memcmp order within a bucket, lets an export walk the buckets in
// name order (canonical, byte-identical to the memory backend's), and needs
// no schema operation on the commit path: WiredTiger
// schema changes (create/drop) are not transactional and contend with
// checkpoints, whereas a table per bucket would create tables lazily inside
// commits. Keys are prefix-compressed on disk, so the bucket prefix is nearly
// free. A small meta table names the active data table ("cairn_data_0" or
// "cairn_data_1") so importState can fill the other one and flip atomically.
//
// Durability: WiredTiger logging is OFF and state becomes durable only through
// checkpoints (a background thread every checkpoint_interval_ms or every
// checkpoint_ops commits, and sync()). After kill -9 WiredTiger opens the last
// complete checkpoint, which holds exactly the transactions committed before
// it started; commits are serialized, so that is a prefix of the batches, each
// whole. Logging with transaction_sync=off would also recover a prefix, but it
// writes every byte twice for a guarantee the kernel's WAL already provides.
//
// Threads: WiredTiger sessions are single-threaded. Commits use one session
// under writeMutex_, checkpoints one under checkpointMutex_, and every read
// transaction borrows a session from a pool for its lifetime, running a
// snapshot-isolation transaction so it never blocks commits. Every ReadTxn
// must be destroyed before close().
#pragma once

#include <wiredtiger.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cairn/storage.h"
#include "wiredtiger_key.h"

namespace cairn::storage {

class WiredTigerBackend : public Backend {
 public:
  WiredTigerBackend();
  ~WiredTigerBackend() override;

  std::string_view name() const override { return "wiredtiger"; }
  bool persistent() const override { return true; }

  // Settings: checkpoint_interval_ms (default 1000; 0 = only by count/sync),
  // checkpoint_ops (default 10000; 0 = only by time/sync), cache_size
  // (WiredTiger size string, default "256MB"), session_max (default 1000),
  // upgrade_layout (default true: a data dir in an older row layout is
  // rewritten into the newest at open, unless an earlier rewrite found a
  // row that layout cannot hold; force: rewritten even then; false: kept
  // as it is).
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

  // How row keys are laid out in this data dir (wiredtiger_key.h); set by
  // open() before any reader exists, read-only while open.
  const wt_key::RowLayout& rowLayout() const { return rowLayout_; }

  // Session pool (public for the read transaction class).
  WT_SESSION* acquireSession(Status& status);
  void releaseSession(WT_SESSION* session);

 private:
  Status checkpointLocked();  // requires checkpointMutex_
  // The meta table's row `key` into *out ("" when there is none); open()
  // only, on writeSession_.
  Status metaRow(std::string_view key, std::string* out);
  void checkpointLoop();
  std::string activeTable() const;
  // open()'s rewrite of an older row layout (wiredtiger_backend_upgrade.cpp):
  // on success *active names the new table and rowLayout_ is the newest.
  // Only open() calls them, before any other thread uses the backend.
  Status upgradeLayout(std::string& active, Logger* logger);
  Status copyRowsInLayout(const std::string& from, const std::string& to,
                          const wt_key::RowLayout& target, uint64_t& rows);
  Status switchTable(const std::string& next, const wt_key::RowLayout& target);
  // Records in the meta table why a rewrite found the dir's rows unfit
  // (kRewriteRefusedKey), so later opens do not copy the table again.
  Status recordRefusal(const std::string& why);

  std::string path_;             // set by open(), read-only while open
  wt_key::RowLayout rowLayout_;  // set by open(), read-only while open

  WT_CONNECTION* conn_ = nullptr;  // set by open()/close() only
  // Owned by whoever holds writeMutex_ (commit, import, defragment).
  std::mutex writeMutex_;
  WT_SESSION* writeSession_ = nullptr;
  std::string rowScratch_;  // commit()'s row key buffer, under writeMutex_
  // Key and value bytes of the puts committed since the last checkpoint
  // began: added by commit() (writeMutex_), taken off by checkpointLocked()
  // (checkpointMutex_), read by sizeAllocated() from any thread.
  std::atomic<uint64_t> uncheckpointedBytes_{0};

  // Serializes checkpoints with schema operations (create, drop, compact).
  std::mutex checkpointMutex_;
  WT_SESSION* checkpointSession_ = nullptr;  // guarded by checkpointMutex_
  Status checkpointError_;                   // guarded by checkpointMutex_; reported by sync()

  // Guarded by poolMutex_.
  std::mutex poolMutex_;
  std::vector<WT_SESSION*> idleSessions_;

  // Name of the active data table ("table:cairn_data_N"); guarded by tableMutex_.
  mutable std::mutex tableMutex_;
  std::string activeTable_;

  // Checkpoint thread trigger; guarded by triggerMutex_.
  std::mutex triggerMutex_;
  std::condition_variable trigger_;
  bool stopping_ = false;
  uint64_t commitsSinceCheckpoint_ = 0;
  uint64_t checkpointIntervalMs_ = 1000;  // read-only while open
  uint64_t checkpointOps_ = 10000;        // read-only while open
  bool rewriteOldLayout_ = true;          // set by open() from its settings
  bool forceRewrite_ = false;             // upgrade_layout=force; set by open()
  std::thread checkpointThread_;
};

}  // namespace cairn::storage
