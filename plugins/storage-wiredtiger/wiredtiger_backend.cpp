#include "wiredtiger_backend.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "wiredtiger_key.h"
#include "wiredtiger_read_txn.h"
#include "wiredtiger_status.h"
#include "wiredtiger_tables.h"

namespace cairn::storage {

namespace {

bool parseNumber(const std::string& s, uint64_t& out) {
  if (s.empty()) return false;
  char* endp = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &endp, 10);
  if (errno != 0 || *endp != '\0' || s[0] == '-') return false;
  out = v;
  return true;
}

}  // namespace

WiredTigerBackend::WiredTigerBackend() = default;

WiredTigerBackend::~WiredTigerBackend() {
  close();
}

WT_SESSION* WiredTigerBackend::acquireSession(Status& status) {
  std::lock_guard lock(poolMutex_);
  if (!idleSessions_.empty()) {
    WT_SESSION* s = idleSessions_.back();
    idleSessions_.pop_back();
    return s;
  }
  if (conn_ == nullptr) {
    status = notOpen();
    return nullptr;
  }
  WT_SESSION* s = nullptr;
  int ret = conn_->open_session(conn_, nullptr, nullptr, &s);
  if (ret != 0) {
    status = wtStatus(ret, "open session (raise the session_max storage option?)");
    return nullptr;
  }
  return s;
}

void WiredTigerBackend::releaseSession(WT_SESSION* session) {
  std::lock_guard lock(poolMutex_);
  idleSessions_.push_back(session);
}

std::string WiredTigerBackend::activeTable() const {
  std::lock_guard lock(tableMutex_);
  return activeTable_;
}

Status WiredTigerBackend::metaRow(std::string_view key, std::string* out) {
  out->clear();
  CursorGuard meta;
  if (Status st = openCursor(writeSession_, kMetaTable, meta); !st.isOk()) return st;
  WT_ITEM k = item(key);
  meta.cursor->set_key(meta.cursor, &k);
  int ret = meta.cursor->search(meta.cursor);
  if (ret == WT_NOTFOUND) return Status::ok();
  WT_ITEM v{};
  if (ret == 0) ret = meta.cursor->get_value(meta.cursor, &v);
  if (ret != 0) return wtStatus(ret, "read meta table");
  *out = std::string(view(v));
  return Status::ok();
}

Status WiredTigerBackend::open(const Options& options) {
  if (conn_ != nullptr) {
    return Status(StatusCode::FailedPrecondition, "wiredtiger backend is already open");
  }
  clearWtError();
  std::string cacheSize = "256MB";
  uint64_t sessionMax = 1000;
  checkpointIntervalMs_ = 1000;
  checkpointOps_ = 10000;
  rewriteOldLayout_ = true;
  forceRewrite_ = false;
  for (const auto& [key, value] : options.settings) {
    bool ok = true;
    if (key == "checkpoint_interval_ms") {
      ok = parseNumber(value, checkpointIntervalMs_);
    } else if (key == "checkpoint_ops") {
      ok = parseNumber(value, checkpointOps_);
    } else if (key == "upgrade_layout") {
      ok = value == "true" || value == "false" || value == "force";
      rewriteOldLayout_ = value != "false";
      forceRewrite_ = value == "force";
    } else if (key == "session_max") {
      ok = parseNumber(value, sessionMax) && sessionMax >= 8;
    } else if (key == "cache_size") {
      // A WiredTiger size: digits with an optional B/KB/MB/GB/TB suffix.
      ok = !value.empty() && value.find_first_not_of("0123456789KMGTB") == std::string::npos;
      cacheSize = value;
    } else {
      return Status(StatusCode::InvalidArgument,
                    "wiredtiger: unknown storage option '" + key +
                        "' (known: checkpoint_interval_ms, "
                        "checkpoint_ops, cache_size, session_max, upgrade_layout)");
    }
    if (!ok) {
      return Status(StatusCode::InvalidArgument,
                    "wiredtiger: invalid value '" + value + "' for storage option '" + key + "'");
    }
  }
  if (options.path.empty()) {
    return Status(StatusCode::InvalidArgument, "wiredtiger: no data directory given");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Status(
        ec == std::errc::permission_denied ? StatusCode::PermissionDenied : StatusCode::Internal,
        "wiredtiger: cannot create data directory " + options.path + ": " + ec.message());
  }
  if (!std::filesystem::is_directory(options.path, ec)) {
    return Status(StatusCode::InvalidArgument,
                  "wiredtiger: data path " + options.path + " is not a directory");
  }
  path_ = options.path;

  // Logging off: durability comes from checkpoints (see the header).
  std::string config = "create,log=(enabled=false),statistics=(fast),cache_size=" + cacheSize +
                       ",session_max=" + std::to_string(sessionMax);
  WT_CONNECTION* conn = nullptr;
  int ret = wiredtiger_open(path_.c_str(), wtEventHandler(), config.c_str(), &conn);
  if (ret != 0) return wtStatus(ret, "cannot open database in " + path_);
  conn_ = conn;

  auto fail = [&](Status st) {
    conn_->close(conn_, nullptr);
    conn_ = nullptr;
    writeSession_ = checkpointSession_ = nullptr;
    idleSessions_.clear();
    return st;
  };
  if ((ret = conn_->open_session(conn_, nullptr, nullptr, &writeSession_)) != 0 ||
      (ret = conn_->open_session(conn_, nullptr, nullptr, &checkpointSession_)) != 0) {
    return fail(wtStatus(ret, "open session"));
  }
  WT_SESSION* s = writeSession_;
  if ((ret = s->create(s, kMetaTable, kTableFormat)) != 0) {
    return fail(wtStatus(ret, "create meta table in " + path_));
  }
  std::string active;
  std::string layout;
  if (Status st = metaRow(kActiveKey, &active); !st.isOk()) return fail(st);
  if (Status st = metaRow(kLayoutKey, &layout); !st.isOk()) return fail(st);
  if (!active.empty() && active != kDataTables[0] && active != kDataTables[1]) {
    return fail(Status(StatusCode::DataLoss, "wiredtiger: meta table in " + path_ +
                                                 " names an unknown data table '" + active + "'"));
  }
  if (!active.empty()) {
    if (layout.empty()) {
      rowLayout_ = wt_key::RowLayout(wt_key::RowLayout::kBucketOrder);
    } else if (layout == std::to_string(wt_key::RowLayout::kKeyBucketLast)) {
      rowLayout_ = wt_key::RowLayout(wt_key::RowLayout::kKeyBucketLast);
    } else {
      return fail(Status(
          StatusCode::DataLoss,
          "wiredtiger: meta table in " + path_ + " names an unknown row layout '" + layout + "'"));
    }
  }
  if (active.empty()) {
    // A new database: the newest row layout, the first data table, both
    // recorded durably by the checkpoint below.
    rowLayout_ = wt_key::RowLayout(wt_key::RowLayout::kNewest);
    active = kDataTables[0];
    if ((ret = s->create(s, active.c_str(), kTableFormat)) != 0) {
      return fail(wtStatus(ret, "create data table"));
    }
    CursorGuard meta;
    if (Status st = openCursor(s, kMetaTable, meta); !st.isOk()) return fail(st);
    const std::string version = std::to_string(rowLayout_.version());
    for (const auto& [key, value] :
         {std::pair<std::string_view, std::string_view>{kLayoutKey, version},
          {kActiveKey, active}}) {
      WT_ITEM k = item(key), v = item(value);
      meta.cursor->set_key(meta.cursor, &k);
      meta.cursor->set_value(meta.cursor, &v);
      if ((ret = meta.cursor->insert(meta.cursor)) != 0) return fail(wtStatus(ret, "write meta"));
    }
    if ((ret = checkpointSession_->checkpoint(checkpointSession_, nullptr)) != 0) {
      return fail(wtStatus(ret, "checkpoint"));
    }
  } else {
    // The active table must exist; opening a cursor also surfaces damage early.
    CursorGuard data;
    if (Status st = openCursor(s, active, data); !st.isOk()) {
      return fail(Status(StatusCode::DataLoss, "wiredtiger: active data table of " + path_ +
                                                   " cannot be opened: " + st.message()));
    }
  }
  // The other data table can only hold an unfinished import or the state an
  // import replaced; neither is live data.
  const char* other = active == kDataTables[0] ? kDataTables[1] : kDataTables[0];
  if ((ret = s->drop(s, other, "force=true")) != 0) {
    return fail(wtStatus(ret, std::string("drop stale table ") + other));
  }
  if (rewriteOldLayout_ && rowLayout_.version() != wt_key::RowLayout::kNewest) {
    if (Status st = upgradeLayout(active, options.logger); !st.isOk()) return fail(st);
  }
  {
    std::lock_guard lock(tableMutex_);
    activeTable_ = active;
  }
  {
    std::lock_guard lock(checkpointMutex_);
    checkpointError_ = Status::ok();
  }
  uncheckpointedBytes_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard lock(triggerMutex_);
    stopping_ = false;
    commitsSinceCheckpoint_ = 0;
  }
  checkpointThread_ = std::thread([this] { checkpointLoop(); });
  return Status::ok();
}

void WiredTigerBackend::close() {
  if (conn_ == nullptr) return;
  {
    std::lock_guard lock(triggerMutex_);
    stopping_ = true;
  }
  trigger_.notify_all();
  if (checkpointThread_.joinable()) checkpointThread_.join();
  std::lock_guard writer(writeMutex_);
  std::lock_guard ckpt(checkpointMutex_);
  // Closing the connection closes every session and takes a final checkpoint.
  int ret = conn_->close(conn_, nullptr);
  if (ret != 0) {
    std::fprintf(stderr, "storage-wiredtiger: close of %s failed: %s\n", path_.c_str(),
                 wiredtiger_strerror(ret));
  }
  conn_ = nullptr;
  writeSession_ = checkpointSession_ = nullptr;
  std::lock_guard pool(poolMutex_);
  idleSessions_.clear();
}

Status WiredTigerBackend::commit(const WriteBatch& batch) {
  std::lock_guard writer(writeMutex_);
  if (conn_ == nullptr) return notOpen();
  if (batch.empty()) return Status::ok();
  WT_SESSION* s = writeSession_;
  const std::string table = activeTable();
  int ret = s->begin_transaction(s, nullptr);
  if (ret != 0) return wtStatus(ret, "begin transaction");
  Status st;
  uint64_t putBytes = 0;
  {
    CursorGuard guard;
    st = openCursor(s, table, guard);
    WT_CURSOR* c = guard.cursor;
    for (auto op = batch.ops().begin(); st.isOk() && op != batch.ops().end(); ++op) {
      switch (op->type) {
        case WriteBatch::OpType::Put: {
          // One buffer for every put's row key (writeMutex_ is held).
          std::string& row = rowScratch_;
          row.clear();
          rowLayout_.appendPrefix(op->bucket, &row);
          row.append(op->key);
          putBytes += row.size() + op->value.size();
          WT_ITEM k = item(row), v = item(op->value);
          c->set_key(c, &k);
          c->set_value(c, &v);
          if ((ret = c->insert(c)) != 0) st = wtStatus(ret, "put");
          break;
        }
        case WriteBatch::OpType::Delete: {
          std::string row = rowLayout_.prefix(op->bucket) + op->key;
          WT_ITEM k = item(row);
          c->set_key(c, &k);
          ret = c->remove(c);  // overwrite=true: removing a missing key succeeds
          if (ret != 0 && ret != WT_NOTFOUND) st = wtStatus(ret, "delete");
          break;
        }
        case WriteBatch::OpType::DeleteRange: {
          // An empty end deletes to the end of the bucket, as ReadTxn::range reads.
          const std::string prefix = rowLayout_.prefix(op->bucket);
          const std::string lo = prefix + op->key;
          const std::string hi =
              op->value.empty() ? wt_key::RowLayout::end(prefix) : prefix + op->value;
          if (lo >= hi) break;
          WT_ITEM k = item(lo);
          c->set_key(c, &k);
          int exact = 0;
          ret = c->search_near(c, &exact);
          if (ret == 0 && exact < 0) ret = c->next(c);
          while (ret == 0) {
            WT_ITEM cur{};
            if ((ret = c->get_key(c, &cur)) != 0) break;
            if (view(cur) >= std::string_view(hi)) break;
            // The cursor stays on the removed row, so next() continues from it.
            if ((ret = c->remove(c)) != 0) break;
            ret = c->next(c);
          }
          if (ret != 0 && ret != WT_NOTFOUND) st = wtStatus(ret, "delete range");
          c->reset(c);
          break;
        }
      }
    }
  }
  if (!st.isOk()) {
    s->rollback_transaction(s, nullptr);
    return st;
  }
  if ((ret = s->commit_transaction(s, nullptr)) != 0) return wtStatus(ret, "commit");
  uncheckpointedBytes_.fetch_add(putBytes, std::memory_order_relaxed);
  bool wake = false;
  {
    std::lock_guard lock(triggerMutex_);
    ++commitsSinceCheckpoint_;
    wake = checkpointOps_ != 0 && commitsSinceCheckpoint_ >= checkpointOps_;
  }
  if (wake) trigger_.notify_all();
  return Status::ok();
}

Status WiredTigerBackend::checkpointLocked() {
  // What was committed before this point is in the files once the
  // checkpoint is done; commits racing with it stay counted (an estimate
  // that errs high until the next checkpoint).
  const uint64_t committed = uncheckpointedBytes_.load(std::memory_order_relaxed);
  int ret = checkpointSession_->checkpoint(checkpointSession_, nullptr);
  if (ret != 0) return wtStatus(ret, "checkpoint of " + path_);
  uncheckpointedBytes_.fetch_sub(committed, std::memory_order_relaxed);
  return Status::ok();
}

void WiredTigerBackend::checkpointLoop() {
  std::unique_lock lock(triggerMutex_);
  for (;;) {
    auto due = [&] {
      return stopping_ || (checkpointOps_ != 0 && commitsSinceCheckpoint_ >= checkpointOps_);
    };
    if (checkpointIntervalMs_ != 0) {
      trigger_.wait_for(lock, std::chrono::milliseconds(checkpointIntervalMs_), due);
    } else {
      trigger_.wait(lock, due);
    }
    if (stopping_) return;
    if (commitsSinceCheckpoint_ == 0) continue;
    // Reset first: commits racing with the checkpoint count towards the next.
    commitsSinceCheckpoint_ = 0;
    lock.unlock();
    {
      std::lock_guard ckpt(checkpointMutex_);
      Status st = checkpointLocked();
      if (!st.isOk()) checkpointError_ = st;
    }
    lock.lock();
  }
}

Status WiredTigerBackend::sync() {
  if (conn_ == nullptr) return notOpen();
  {
    std::lock_guard lock(triggerMutex_);
    commitsSinceCheckpoint_ = 0;
  }
  std::lock_guard ckpt(checkpointMutex_);
  Status st = checkpointLocked();
  if (!st.isOk()) return st;
  // A failed background checkpoint is superseded by this successful one,
  // but the caller still learns that one failed.
  Status earlier = std::move(checkpointError_);
  checkpointError_ = Status::ok();
  if (!earlier.isOk()) {
    return Status(earlier.code(), "earlier background checkpoint failed: " + earlier.message());
  }
  return Status::ok();
}

std::unique_ptr<ReadTxn> WiredTigerBackend::beginRead() {
  return std::make_unique<WtReadTxn>(*this, activeTable());
}

uint64_t WiredTigerBackend::sizeAllocated() {
  // The files hold what the last checkpoint wrote; rows committed since live
  // in WiredTiger's cache until the next one (an appending table is split in
  // memory, not written out by the commits). Counting them keeps the quota
  // and the reported size from lagging up to a checkpoint interval behind.
  uint64_t total = uncheckpointedBytes_.load(std::memory_order_relaxed);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
    std::error_code fileEc;
    if (entry.is_regular_file(fileEc)) {
      uint64_t size = entry.file_size(fileEc);
      if (!fileEc) total += size;
    }
  }
  return total;
}

uint64_t WiredTigerBackend::sizeInUse() {
  if (conn_ == nullptr) return 0;
  // Bytes of the data table's file minus the blocks free for reuse, as of the
  // last checkpoint (the on-disk measure, like etcd's bbolt in-use size).
  Status st;
  WT_SESSION* s = acquireSession(st);
  if (s == nullptr) return 0;
  uint64_t result = 0;
  {
    CursorGuard stats;
    if (openCursor(s, "statistics:" + activeTable(), stats, "statistics=(fast)").isOk()) {
      auto read = [&](int key) -> int64_t {
        WT_CURSOR* c = stats.cursor;
        c->set_key(c, key);
        const char* desc = nullptr;
        const char* pvalue = nullptr;
        int64_t value = 0;
        if (c->search(c) != 0 || c->get_value(c, &desc, &pvalue, &value) != 0) return 0;
        return value;
      };
      int64_t size = read(WT_STAT_DSRC_BLOCK_SIZE);
      int64_t reusable = read(WT_STAT_DSRC_BLOCK_REUSE_BYTES);
      if (size > reusable) result = static_cast<uint64_t>(size - reusable);
      // As sizeAllocated(): rows committed since the last checkpoint.
      result += uncheckpointedBytes_.load(std::memory_order_relaxed);
    }
  }
  releaseSession(s);
  return result;
}

}  // namespace cairn::storage
