// WiredTigerBackend's whole-state jobs: defragment, export and import (which
// fills the other data table and flips the active one). The rest of the
// class is in wiredtiger_backend.cpp.
#include <string>

#include "cairn/storage_stream.h"
#include "wiredtiger_backend.h"
#include "wiredtiger_key.h"
#include "wiredtiger_read_txn.h"
#include "wiredtiger_status.h"
#include "wiredtiger_tables.h"

namespace cairn::storage {
namespace {

// Import commits in transactions of about this size, so a large state never
// has to fit in the cache as one transaction.
constexpr std::size_t kImportTxnBytes = 8 << 20;
constexpr std::size_t kImportTxnRecords = 10000;

}  // namespace

Status WiredTigerBackend::defragment() {
  std::lock_guard writer(writeMutex_);
  if (conn_ == nullptr) return notOpen();
  std::lock_guard ckpt(checkpointMutex_);
  // Compaction works on checkpointed blocks: checkpoint first so the space of
  // recently deleted rows can be returned.
  if (Status st = checkpointLocked(); !st.isOk()) return st;
  const std::string table = activeTable();
  int ret = writeSession_->compact(writeSession_, table.c_str(), nullptr);
  if (ret != 0) return wtStatus(ret, "compact " + table);
  return checkpointLocked();
}

Status WiredTigerBackend::exportState(const std::function<Status(std::string_view chunk)>& sink) {
  if (conn_ == nullptr) return notOpen();
  WtReadTxn txn(*this, activeTable());
  if (!txn.initStatus().isOk()) return txn.initStatus();
  StreamEncoder encoder(sink);
  if (Status st = encoder.begin(); !st.isOk()) return st;
  std::string bucket;
  Status st = txn.scanAll([&](std::string_view row, std::string_view value) {
    std::string_view key;
    if (!rowLayout_.split(row, bucket, key)) {
      return Status(StatusCode::DataLoss, "wiredtiger: malformed row key in " + path_);
    }
    return encoder.add(bucket, key, value);
  });
  if (!st.isOk()) return st;
  return encoder.finish();
}

Status WiredTigerBackend::importState(const std::function<bool(std::string& chunk)>& source) {
  std::lock_guard writer(writeMutex_);
  if (conn_ == nullptr) return notOpen();
  WT_SESSION* s = writeSession_;
  const std::string current = activeTable();
  const std::string next = current == kDataTables[0] ? kDataTables[1] : kDataTables[0];
  int ret;
  {
    std::lock_guard ckpt(checkpointMutex_);
    if ((ret = s->drop(s, next.c_str(), "force=true")) != 0) {
      return wtStatus(ret, "import: drop " + next +
                               " (read transactions from before the last import still open?)");
    }
    if ((ret = s->create(s, next.c_str(), kTableFormat)) != 0) {
      return wtStatus(ret, "import: create " + next);
    }
  }
  // Fill the inactive table in bounded transactions; the live table is not
  // touched until the whole stream has verified.
  Status st;
  bool inTxn = false;
  {
    CursorGuard guard;
    st = openCursor(s, next, guard);
    StreamDecoder decoder(source);
    StreamRecord rec;
    std::size_t txnBytes = 0, txnRecords = 0;
    while (st.isOk()) {
      bool done = false;
      st = decoder.next(rec, done);
      if (!st.isOk() || done) break;
      if (!inTxn) {
        if ((ret = s->begin_transaction(s, nullptr)) != 0) {
          st = wtStatus(ret, "import: begin transaction");
          break;
        }
        inTxn = true;
      }
      // The data dir's layout: import replaces the state, not the layout.
      std::string row = rowLayout_.prefix(rec.bucket) + rec.key;
      WT_ITEM k = item(row), v = item(rec.value);
      guard.cursor->set_key(guard.cursor, &k);
      guard.cursor->set_value(guard.cursor, &v);
      if ((ret = guard.cursor->insert(guard.cursor)) != 0) {
        st = wtStatus(ret, "import: insert");
        break;
      }
      txnBytes += row.size() + rec.value.size();
      if (++txnRecords >= kImportTxnRecords || txnBytes >= kImportTxnBytes) {
        inTxn = false;
        txnBytes = txnRecords = 0;
        if ((ret = s->commit_transaction(s, nullptr)) != 0) st = wtStatus(ret, "import: commit");
      }
    }
    if (inTxn) {
      if (st.isOk()) {
        if ((ret = s->commit_transaction(s, nullptr)) != 0) st = wtStatus(ret, "import: commit");
      } else {
        s->rollback_transaction(s, nullptr);
      }
      inTxn = false;
    }
  }
  if (st.isOk()) {
    // Flip the active table in one transaction; a checkpoint makes it durable.
    CursorGuard meta;
    st = openCursor(s, kMetaTable, meta);
    if (st.isOk()) {
      WT_ITEM k = item(kActiveKey), v = item(next);
      meta.cursor->set_key(meta.cursor, &k);
      meta.cursor->set_value(meta.cursor, &v);
      if ((ret = meta.cursor->insert(meta.cursor)) != 0) st = wtStatus(ret, "import: write meta");
    }
  }
  std::lock_guard ckpt(checkpointMutex_);
  if (!st.isOk()) {
    s->drop(s, next.c_str(), "force=true");  // best effort; open() drops it otherwise
    return st;
  }
  {
    std::lock_guard lock(tableMutex_);
    activeTable_ = next;
  }
  Status durable = checkpointLocked();
  // Readers that began before the flip may still hold the old table; then it
  // stays until the next import or open drops it.
  s->drop(s, current.c_str(), nullptr);
  clearWtError();
  return durable;
}

}  // namespace cairn::storage
