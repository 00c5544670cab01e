// cairn-test-wt-layout1: turns a stopped member's WiredTiger backend into
// what a Cairn from before row layouts left (layout 1: every row under
// escape(bucket) 0x00 0x01, no "layout" meta row), so a test can start a
// current cairn on such a dir through its real clients. The rows go into
// the inactive data table, which then becomes the active one.
//
// Usage: cairn-test-wt-layout1 <backend-dir>
// Exit 0 after "<n> rows in layout 1", 1 on any failure.
#include <wiredtiger.h>

#include <cstdio>
#include <string>

#include "wiredtiger_key.h"
#include "wiredtiger_status.h"
#include "wiredtiger_tables.h"

using namespace cairn::storage;

namespace {

int fail(const char* what, int ret) {
  std::fprintf(stderr, "%s: %s\n", what, wiredtiger_strerror(ret));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <backend-dir>\n", argv[0]);
    return 2;
  }
  WT_CONNECTION* conn = nullptr;
  if (int ret = wiredtiger_open(argv[1], nullptr, "log=(enabled=false)", &conn); ret != 0) {
    return fail("open", ret);
  }
  WT_SESSION* s = nullptr;
  conn->open_session(conn, nullptr, nullptr, &s);
  WT_CURSOR* meta = nullptr;
  if (int ret = s->open_cursor(s, kMetaTable, nullptr, nullptr, &meta); ret != 0) {
    return fail("open meta", ret);
  }
  auto getMeta = [&](std::string_view key, std::string* out) {
    WT_ITEM k = item(key), v{};
    meta->set_key(meta, &k);
    if (meta->search(meta) != 0) return false;
    meta->get_value(meta, &v);
    *out = std::string(view(v));
    return true;
  };
  std::string active, layout;
  if (!getMeta(kActiveKey, &active) || !getMeta(kLayoutKey, &layout) || layout != "2") {
    std::fprintf(stderr, "%s is not a layout 2 backend\n", argv[1]);
    return 1;
  }
  const std::string next = active == kDataTables[0] ? kDataTables[1] : kDataTables[0];
  s->drop(s, next.c_str(), "force=true");
  if (int ret = s->create(s, next.c_str(), kTableFormat); ret != 0) return fail("create", ret);
  WT_CURSOR* in = nullptr;
  WT_CURSOR* out = nullptr;
  if (int ret = s->open_cursor(s, active.c_str(), nullptr, nullptr, &in); ret != 0) {
    return fail("open active", ret);
  }
  if (int ret = s->open_cursor(s, next.c_str(), nullptr, nullptr, &out); ret != 0) {
    return fail("open next", ret);
  }
  const wt_key::RowLayout from(wt_key::RowLayout::kKeyBucketLast);
  const wt_key::RowLayout to(wt_key::RowLayout::kBucketOrder);
  std::string bucket;
  long rows = 0;
  int ret = 0;
  while ((ret = in->next(in)) == 0) {
    WT_ITEM k{}, v{};
    in->get_key(in, &k);
    in->get_value(in, &v);
    std::string_view key;
    if (!from.split(view(k), bucket, key)) {
      std::fprintf(stderr, "a row of %s does not split\n", active.c_str());
      return 1;
    }
    const std::string row = to.prefix(bucket) + std::string(key);
    WT_ITEM nk = item(row);
    out->set_key(out, &nk);
    out->set_value(out, &v);
    if ((ret = out->insert(out)) != 0) return fail("insert", ret);
    ++rows;
  }
  if (ret != WT_NOTFOUND) return fail("scan", ret);
  in->close(in);
  out->close(out);
  WT_ITEM ak = item(kActiveKey), av = item(next), lk = item(kLayoutKey);
  meta->set_key(meta, &ak);
  meta->set_value(meta, &av);
  if ((ret = meta->insert(meta)) != 0) return fail("write active", ret);
  meta->set_key(meta, &lk);
  if ((ret = meta->remove(meta)) != 0) return fail("remove layout", ret);
  meta->close(meta);
  if ((ret = s->checkpoint(s, nullptr)) != 0) return fail("checkpoint", ret);
  s->drop(s, active.c_str(), "force=true");
  if ((ret = conn->close(conn, nullptr)) != 0) return fail("close", ret);
  std::printf("%ld rows in layout 1\n", rows);
  return 0;
}
