// WiredTigerBackend::upgradeLayout: open() rewrites a data dir of an older
// row layout into the newest one (wiredtiger_key.h says what layout 2 saves).
//
// Crash safety: the rows are bulk-loaded into the other data table and made
// durable by a checkpoint; then one meta transaction names that table active
// and records the new layout, and a second checkpoint makes the switch
// durable (logging is off, see wiredtiger_backend.h). open() drops the
// inactive table of every dir, so a kill at any moment before the second
// checkpoint leaves the old table live in the old layout, and the next open
// starts the rewrite again; a kill after it leaves the new one.
//
// A rewrite that cannot finish because of the data dir's own state (not
// enough free disk, a full cache, a row the old layout cannot split) is not
// an error: the dir keeps working in its old layout, as it did before this
// existed, and the reason goes to the server's log. Any other failure (an
// I/O error, a WiredTiger panic) fails the open, naming the rewrite and the
// setting that skips it (upgrade_layout=false). A row the old layout cannot
// split is the dir's own and stays until someone changes it, so the reason is
// recorded in the meta table and later opens skip the copy that would fail
// again (upgrade_layout=force tries anyway).
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "wiredtiger_backend.h"
#include "wiredtiger_key.h"
#include "wiredtiger_status.h"
#include "wiredtiger_tables.h"

namespace cairn::storage {
namespace {

// The file WiredTiger keeps a "table:NAME" in (one column group, one file).
std::filesystem::path tableFile(const std::string& dir, std::string_view uri) {
  uri.remove_prefix(uri.find(':') + 1);
  return std::filesystem::path(dir) / (std::string(uri) + ".wt");
}

constexpr const char* kCaller = "storage-wiredtiger/wiredtiger_backend_upgrade.cpp";

// A log line to the server's log, or to stderr when opened without one.
void report(Logger* logger, LogLevel level, std::string_view msg, const std::string& fields) {
  if (logger != nullptr) {
    logger->log(level, kCaller, msg, fields);
  } else {
    std::fprintf(stderr, "storage-wiredtiger: %.*s {%s}\n", static_cast<int>(msg.size()),
                 msg.data(), fields.c_str());
  }
}

// Fault injection for the tests of a kill in the middle of a rewrite: with
// CAIRN_WT_REWRITE_EXIT_AT=<step> in the environment the process exits at
// once (status 86, no cleanup, like kill -9) when the rewrite reaches it.
void crashPoint(const char* step) {
  const char* at = std::getenv("CAIRN_WT_REWRITE_EXIT_AT");
  if (at != nullptr && std::strcmp(at, step) == 0) _exit(86);
}

// A cursor move's result: true on a row; false at the table's end (then
// `ret` becomes 0) or on an error (`ret` says which).
bool onRow(int& ret) {
  if (ret == WT_NOTFOUND)
    ret = 0;
  else if (ret == 0)
    return true;
  return false;
}

// Positions `c` on its first row >= `key`.
bool seek(WT_CURSOR* c, std::string_view key, int& ret) {
  WT_ITEM k = item(key);
  c->set_key(c, &k);
  int exact = 0;
  ret = c->search_near(c, &exact);
  if (ret == 0 && exact < 0) ret = c->next(c);
  return onRow(ret);
}

}  // namespace

Status WiredTigerBackend::copyRowsInLayout(const std::string& from, const std::string& to,
                                           const wt_key::RowLayout& target, uint64_t& rows) {
  // Rows are read in the old layout's order and must be written in the new
  // one's, because a bulk cursor (WiredTiger's load path for a new table: it
  // builds leaf pages directly instead of inserting through the cache) takes
  // only ascending keys. Layouts order the rows of one bucket alike; layout 2
  // differs from layout 1 only in putting the revision ("key") bucket after
  // every other. So: every other bucket first, jumping over the revisions'
  // range, then the revisions.
  static_assert(wt_key::RowLayout::kNewest == wt_key::RowLayout::kKeyBucketLast,
                "a new layout needs its own rewrite order");
  const wt_key::RowLayout& source = rowLayout_;
  const std::string revLo = source.prefix(kKeyBucket);
  const std::string revHi = wt_key::RowLayout::end(revLo);
  CursorGuard in;
  if (Status st = openCursor(checkpointSession_, from, in); !st.isOk()) return st;
  CursorGuard out;
  if (Status st = openCursor(writeSession_, to, out, "bulk"); !st.isOk()) return st;
  std::string bucket, row;
  int ret = 0;
  // The row under `in`, its key in the old layout in *oldRow.
  auto current = [&](std::string_view* oldRow) {
    WT_ITEM k{};
    ret = in.cursor->get_key(in.cursor, &k);
    *oldRow = view(k);
    return ret == 0;
  };
  auto copy = [&](std::string_view oldRow) -> Status {
    WT_ITEM v{};
    if ((ret = in.cursor->get_value(in.cursor, &v)) != 0) {
      return wtStatus(ret, "rewrite: read " + from);
    }
    std::string_view key;
    if (!source.split(oldRow, bucket, key)) {
      return Status(StatusCode::DataLoss, "wiredtiger: rewrite: a row of " + from +
                                              " is not in row layout " +
                                              std::to_string(source.version()));
    }
    row.clear();
    target.appendPrefix(bucket, &row);
    row.append(key);
    WT_ITEM k = item(row);
    out.cursor->set_key(out.cursor, &k);
    out.cursor->set_value(out.cursor, &v);
    if ((ret = out.cursor->insert(out.cursor)) != 0) return wtStatus(ret, "rewrite: write " + to);
    ++rows;
    return Status::ok();
  };
  std::string_view oldRow;
  ret = in.cursor->next(in.cursor);  // the first row (WiredTiger has no empty keys)
  for (bool more = onRow(ret); more && current(&oldRow);) {
    if (oldRow >= revLo && oldRow < revHi) {
      more = seek(in.cursor, revHi, ret);
      continue;
    }
    if (Status st = copy(oldRow); !st.isOk()) return st;
    ret = in.cursor->next(in.cursor);
    more = onRow(ret);
  }
  if (ret != 0) return wtStatus(ret, "rewrite: scan " + from);
  for (bool more = seek(in.cursor, revLo, ret); more && current(&oldRow) && oldRow < revHi;) {
    if (Status st = copy(oldRow); !st.isOk()) return st;
    ret = in.cursor->next(in.cursor);
    more = onRow(ret);
  }
  if (ret != 0) return wtStatus(ret, "rewrite: scan " + from);
  // Closing a bulk cursor writes its last pages, so its result counts.
  WT_CURSOR* bulk = out.cursor;
  out.cursor = nullptr;
  if ((ret = bulk->close(bulk)) != 0) return wtStatus(ret, "rewrite: finish " + to);
  return Status::ok();
}

Status WiredTigerBackend::switchTable(const std::string& next, const wt_key::RowLayout& target) {
  // Both meta rows in one transaction: the new table and its layout.
  WT_SESSION* s = writeSession_;
  int ret = s->begin_transaction(s, nullptr);
  if (ret != 0) return wtStatus(ret, "rewrite: begin transaction");
  Status st;
  {
    CursorGuard meta;
    st = openCursor(s, kMetaTable, meta);
    const std::string version = std::to_string(target.version());
    for (const auto& [key, value] :
         {std::pair<std::string_view, std::string_view>{kActiveKey, next}, {kLayoutKey, version}}) {
      if (!st.isOk()) break;
      WT_ITEM k = item(key), v = item(value);
      meta.cursor->set_key(meta.cursor, &k);
      meta.cursor->set_value(meta.cursor, &v);
      if ((ret = meta.cursor->insert(meta.cursor)) != 0) st = wtStatus(ret, "rewrite: meta");
    }
    if (st.isOk()) {
      // A forced rewrite that got through: nothing is refused any more.
      WT_ITEM k = item(kRewriteRefusedKey);
      meta.cursor->set_key(meta.cursor, &k);
      ret = meta.cursor->remove(meta.cursor);
      if (ret != 0 && ret != WT_NOTFOUND) st = wtStatus(ret, "rewrite: meta");
    }
  }
  if (!st.isOk()) {
    s->rollback_transaction(s, nullptr);
    return st;
  }
  if ((ret = s->commit_transaction(s, nullptr)) != 0) return wtStatus(ret, "rewrite: commit meta");
  return Status::ok();
}

Status WiredTigerBackend::recordRefusal(const std::string& why) {
  // Made durable by the next checkpoint; lost with a crash before it, the
  // next open only tries once more.
  CursorGuard meta;
  if (Status st = openCursor(writeSession_, kMetaTable, meta); !st.isOk()) return st;
  WT_ITEM k = item(kRewriteRefusedKey), v = item(why);
  meta.cursor->set_key(meta.cursor, &k);
  meta.cursor->set_value(meta.cursor, &v);
  if (int ret = meta.cursor->insert(meta.cursor); ret != 0) {
    return wtStatus(ret, "record the refused rewrite");
  }
  return Status::ok();
}

Status WiredTigerBackend::upgradeLayout(std::string& active, Logger* logger) {
  const wt_key::RowLayout target(wt_key::RowLayout::kNewest);
  const std::string next = active == kDataTables[0] ? kDataTables[1] : kDataTables[0];
  const std::string where = jsonField("path", path_) + "," +
                            jsonField("from-layout", static_cast<long long>(rowLayout_.version())) +
                            "," + jsonField("to-layout", static_cast<long long>(target.version()));
  auto keepOld = [&](const std::string& why) {
    report(logger, LogLevel::Warn, "data dir not rewritten into the newest row layout",
           where + "," + jsonField("error", why));
    return Status::ok();
  };
  std::string refused;
  if (Status st = metaRow(kRewriteRefusedKey, &refused); !st.isOk()) return st;
  if (!refused.empty() && !forceRewrite_) {
    return keepOld("an earlier rewrite found: " + refused +
                   " (--storage-option upgrade_layout=force tries again)");
  }
  // The new table needs about as much disk as the old one; refuse up front
  // rather than fill the disk the server is about to run on.
  std::error_code ec;
  const uintmax_t oldBytes = std::filesystem::file_size(tableFile(path_, active), ec);
  if (ec) return keepOld("cannot size " + tableFile(path_, active).string() + ": " + ec.message());
  struct statvfs fs {};
  if (statvfs(path_.c_str(), &fs) != 0) return keepOld("cannot read the free space of " + path_);
  const uintmax_t freeBytes = static_cast<uintmax_t>(fs.f_bavail) * fs.f_frsize;
  const uintmax_t needBytes = oldBytes + oldBytes / 4 + (64u << 20);
  if (freeBytes < needBytes) {
    return keepOld(std::to_string(needBytes >> 20) + " MiB of free disk needed, " +
                   std::to_string(freeBytes >> 20) + " MiB free");
  }
  report(logger, LogLevel::Info, "rewriting the data dir into the newest row layout",
         where + "," + jsonField("table-bytes", static_cast<long long>(oldBytes)));
  const auto started = std::chrono::steady_clock::now();
  WT_SESSION* s = writeSession_;
  int ret = s->create(s, next.c_str(), kTableFormat);
  if (ret != 0) return keepOld(wtStatus(ret, "create " + next).message());
  uint64_t rows = 0;
  Status st = copyRowsInLayout(active, next, target, rows);
  crashPoint("copied");
  // The copy is made durable before the switch, so the switch's own
  // checkpoint only writes two meta rows, and a failure up to here leaves
  // nothing live to undo.
  if (st.isOk()) {
    std::lock_guard ckpt(checkpointMutex_);
    st = checkpointLocked();
  }
  crashPoint("copy-checkpointed");
  if (st.isOk()) st = switchTable(next, target);
  crashPoint("switched");
  if (!st.isOk()) {
    {
      std::lock_guard ckpt(checkpointMutex_);
      s->drop(s, next.c_str(), "force=true");  // best effort: the next open drops it anyway
    }
    clearWtError();
    // A row the old layout cannot split, or a full disk or cache: the dir
    // works as it is. Anything else (an I/O error, a panic) is not safe to
    // run on.
    if (st.code() == StatusCode::DataLoss) {
      // The dir's own rows: the same copy would fail the same way next time.
      if (Status recorded = recordRefusal(st.message()); !recorded.isOk()) {
        clearWtError();
        report(logger, LogLevel::Warn, "refused rewrite not recorded; the next open tries again",
               where + "," + jsonField("error", recorded.message()));
      }
      return keepOld(st.message() +
                     " (recorded: later opens skip the rewrite until --storage-option "
                     "upgrade_layout=force)");
    }
    if (st.code() == StatusCode::ResourceExhausted) {
      return keepOld(st.message() + " (--storage-option upgrade_layout=false skips the rewrite)");
    }
    return Status(st.code(), st.message() + " (rewriting " + path_ +
                                 " into row layout 2; --storage-option upgrade_layout=false opens "
                                 "it as it is)");
  }
  // Until this checkpoint the old table is the durable state; if it fails,
  // open() fails, and either table is a whole state for the next attempt.
  {
    std::lock_guard ckpt(checkpointMutex_);
    if (Status durable = checkpointLocked(); !durable.isOk()) {
      return Status(durable.code(), durable.message() + " (switching " + path_ +
                                        " to row layout 2; --storage-option "
                                        "upgrade_layout=false opens it as it is)");
    }
  }
  crashPoint("durable");
  rowLayout_ = target;
  const std::string old = active;
  active = next;
  {
    std::lock_guard ckpt(checkpointMutex_);
    if ((ret = s->drop(s, old.c_str(), "force=true")) != 0) {
      // Harmless: the next open drops the inactive table.
      report(logger, LogLevel::Warn, "old data table not dropped after the rewrite",
             where + "," + jsonField("table", old) + "," +
                 jsonField("error", wiredtiger_strerror(ret)));
      clearWtError();
    }
  }
  crashPoint("dropped");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  report(logger, LogLevel::Info, "data dir rewritten into the newest row layout",
         where + "," + jsonField("rows", static_cast<long long>(rows)) + "," +
             jsonField("took-ms", static_cast<long long>(ms)));
  return Status::ok();
}

}  // namespace cairn::storage
