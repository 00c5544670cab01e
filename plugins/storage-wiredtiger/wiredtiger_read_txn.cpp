#include "wiredtiger_read_txn.h"

#include <cstdio>
#include <cstdlib>

#include "wiredtiger_key.h"

namespace cairn::storage {
namespace {

// ReadTxn has no error channel for get(); a failing read of the store is
// unrecoverable (failed or corrupt storage), so it stops the process loudly,
// as etcd does when bbolt cannot read a page.
[[noreturn]] void fatalRead(const Status& st) {
  std::fprintf(stderr, "storage-wiredtiger: fatal read error: %s\n", st.message().c_str());
  std::abort();
}

}  // namespace

WtReadTxn::WtReadTxn(WiredTigerBackend& backend, std::string table)
    : backend_(backend), table_(std::move(table)) {
  session_ = backend_.acquireSession(init_);
  if (session_ == nullptr) return;
  int ret = session_->begin_transaction(session_, "isolation=snapshot");
  if (ret != 0) {
    init_ = wtStatus(ret, "begin read transaction");
    return;
  }
  inTxn_ = true;
  // WiredTiger takes the snapshot lazily at the first read: read now so the
  // transaction sees exactly what was committed when it began.
  init_ = openCursor(session_, table_, getCursor_);
  if (init_.isOk()) {
    WT_CURSOR* c = getCursor_.cursor;
    WT_ITEM probe = item(std::string_view("\0", 1));
    c->set_key(c, &probe);
    int found = c->search(c);
    if (found != 0 && found != WT_NOTFOUND) init_ = wtStatus(found, "begin read transaction");
    c->reset(c);
  }
}

WtReadTxn::~WtReadTxn() {
  if (getCursor_.cursor != nullptr) {
    getCursor_.cursor->close(getCursor_.cursor);
    getCursor_.cursor = nullptr;
  }
  if (inTxn_) session_->rollback_transaction(session_, nullptr);
  if (session_ != nullptr) backend_.releaseSession(session_);
}

std::optional<std::string> WtReadTxn::get(std::string_view bucket, std::string_view key) {
  if (!init_.isOk()) fatalRead(init_);
  std::string row = backend_.rowLayout().prefix(bucket);
  row.append(key);
  WT_CURSOR* c = getCursor_.cursor;
  WT_ITEM k = item(row);
  c->set_key(c, &k);
  int ret = c->search(c);
  if (ret == WT_NOTFOUND) return std::nullopt;
  if (ret != 0) fatalRead(wtStatus(ret, "read " + table_));
  WT_ITEM v{};
  ret = c->get_value(c, &v);
  if (ret != 0) fatalRead(wtStatus(ret, "read value " + table_));
  std::string out(view(v));
  c->reset(c);
  return out;
}

Status WtReadTxn::range(std::string_view bucket, std::string_view begin, std::string_view end,
                        std::size_t limit, bool reverse, const KeyValueVisitor& visit) {
  if (!init_.isOk()) return init_;
  const std::string prefix = backend_.rowLayout().prefix(bucket);
  const std::string lo = prefix + std::string(begin);
  const std::string hi = end.empty() ? wt_key::RowLayout::end(prefix) : prefix + std::string(end);
  if (lo >= hi) return Status::ok();
  CursorGuard guard;
  if (Status st = openCursor(session_, table_, guard); !st.isOk()) return st;
  WT_CURSOR* c = guard.cursor;
  WT_ITEM start = item(reverse ? hi : lo);
  c->set_key(c, &start);
  int exact = 0;
  int ret = c->search_near(c, &exact);
  if (ret == 0) {
    if (!reverse && exact < 0) ret = c->next(c);
    if (reverse && exact >= 0) ret = c->prev(c);
  }
  std::size_t visited = 0;
  while (ret == 0) {
    WT_ITEM k{}, v{};
    if ((ret = c->get_key(c, &k)) != 0) break;
    std::string_view row = view(k);
    if (reverse ? row < std::string_view(lo) : row >= std::string_view(hi)) break;
    if ((ret = c->get_value(c, &v)) != 0) break;
    ++visited;
    if (!visit(row.substr(prefix.size()), view(v))) return Status::ok();
    if (limit != 0 && visited >= limit) return Status::ok();
    ret = reverse ? c->prev(c) : c->next(c);
  }
  if (ret != 0 && ret != WT_NOTFOUND) return wtStatus(ret, "range scan of " + table_);
  return Status::ok();
}

Status WtReadTxn::scanAll(
    const std::function<Status(std::string_view row, std::string_view value)>& fn) {
  if (!init_.isOk()) return init_;
  for (const auto& [lo, hi] : backend_.rowLayout().bucketOrderRanges()) {
    if (Status st = scanRows(lo, hi, fn); !st.isOk()) return st;
  }
  return Status::ok();
}

Status WtReadTxn::scanRows(
    std::string_view lo, std::string_view hi,
    const std::function<Status(std::string_view row, std::string_view value)>& fn) {
  CursorGuard guard;
  if (Status st = openCursor(session_, table_, guard); !st.isOk()) return st;
  WT_CURSOR* c = guard.cursor;
  int ret;
  if (lo.empty()) {
    ret = c->next(c);
  } else {
    WT_ITEM start = item(lo);
    c->set_key(c, &start);
    int exact = 0;
    ret = c->search_near(c, &exact);
    if (ret == 0 && exact < 0) ret = c->next(c);
  }
  for (; ret == 0; ret = c->next(c)) {
    WT_ITEM k{}, v{};
    if ((ret = c->get_key(c, &k)) != 0 || (ret = c->get_value(c, &v)) != 0) break;
    if (!hi.empty() && view(k) >= hi) return Status::ok();
    if (Status st = fn(view(k), view(v)); !st.isOk()) return st;
  }
  if (ret != WT_NOTFOUND) return wtStatus(ret, "scan of " + table_);
  return Status::ok();
}

}  // namespace cairn::storage
