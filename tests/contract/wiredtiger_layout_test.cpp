// WiredTiger row layouts (wiredtiger_key.h): a new data dir puts the MVCC
// revisions last in the table; a data dir written before layout versions
// (layout 1) works as it is when not rewritten (wiredtiger_upgrade_test.cpp
// covers the rewrite); both export the same canonical stream.
#include "backend_fixtures.h"
#include "wiredtiger_key.h"
#include "wiredtiger_raw_db.h"
#include "wiredtiger_tables.h"

using namespace cairn;
using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

Options at(const TempDir& dir, std::vector<std::pair<std::string, std::string>> settings = {}) {
  Options o;
  o.path = (dir.path() / "wt").string();
  o.settings = std::move(settings);
  return o;
}

// The same state in buckets named below and above "key".
void fill(Backend& b) {
  WriteBatch w;
  for (int i = 0; i < 50; ++i) w.put(kKeyBucket, "r" + std::to_string(100 + i), "v");
  w.put("alarm", "a", "1");
  w.put("ke", "short", "2");     // a prefix of "key"
  w.put("key2", "longer", "3");  // "key" is a prefix of it
  w.put(kLeaseBucket, "l", "4");
  w.put(kMetaBucket, std::string("\0ci", 3), "5");
  commitOk(b, w);
}

}  // namespace

TEST_CASE("wiredtiger layout: a new data dir stores revisions last", "[wiredtiger]") {
  TempDir dir;
  {
    WiredTigerBackend b;
    REQUIRE(b.open(at(dir)).isOk());
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
    fill(b);
    b.close();
  }
  RawDb raw(dir.path() / "wt");
  CHECK(raw.get(kMetaTable, kLayoutKey) == "2");
  const std::vector<std::string> rows = raw.keys(kDataTables[0]);
  REQUIRE(rows.size() == 55);
  // The 50 revision rows are the table's last, each 0x02 and its key.
  for (std::size_t i = 0; i < 5; ++i) CHECK(rows[i][0] == '\x01');
  for (std::size_t i = 5; i < rows.size(); ++i) {
    CHECK(rows[i] == "\x02r" + std::to_string(95 + i));
  }
}

TEST_CASE(
    "wiredtiger layout: with upgrade_layout=false a layout 1 data dir is read, written "
    "and exported as it is",
    "[wiredtiger]") {
  TempDir dir;
  {
    // What a Cairn from before layout versions left: no layout row, rows as
    // escape(bucket) 0x00 0x01 key.
    RawDb raw(dir.path() / "wt");
    raw.put(kMetaTable, kActiveKey, kDataTables[0]);
    const wt_key::RowLayout legacy(wt_key::RowLayout::kBucketOrder);
    raw.put(kDataTables[0], legacy.prefix(kKeyBucket) + "r1", "old");
    raw.put(kDataTables[0], legacy.prefix(kLeaseBucket) + "l", "lease");
  }
  Opened<MemoryFixture> reference;
  {
    WiredTigerBackend b;
    Status st = b.open(at(dir, {{"upgrade_layout", "false"}}));
    INFO(st.message());
    REQUIRE(st.isOk());
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kBucketOrder);
    CHECK(getOne(b, kKeyBucket, "r1") == "old");
    CHECK(getOne(b, kLeaseBucket, "l") == "lease");
    WriteBatch w;
    w.put(kKeyBucket, "r1", "old");
    w.put(kLeaseBucket, "l", "lease");
    commitOk(*reference.backend, w);
    fill(b);
    fill(*reference.backend);
    w.clear();
    w.delRange(kKeyBucket, "r110", "r120");
    commitOk(b, w);
    commitOk(*reference.backend, w);
    CHECK(scan(b, kKeyBucket) == scan(*reference.backend, kKeyBucket));
    CHECK(scan(b, "key2") == scan(*reference.backend, "key2"));
    // Canonical whatever the layout: the same bytes as the memory backend.
    CHECK(exportAll(b) == exportAll(*reference.backend));
    b.close();
  }
  RawDb raw(dir.path() / "wt");
  CHECK_FALSE(raw.get(kMetaTable, kLayoutKey).has_value());
  CHECK(raw.get(kDataTables[0], std::string("key\0\x01r100", 9)) == "v");
}

TEST_CASE("wiredtiger layout: both layouts export one stream, and import keeps the layout",
          "[wiredtiger][stream]") {
  Opened<WiredTigerFixture> wt;
  Opened<MemoryFixture> mem;
  fill(*wt.backend);
  fill(*mem.backend);
  const std::string stream = exportAll(*wt.backend);
  CHECK(stream == exportAll(*mem.backend));
  REQUIRE(importAll(*wt.backend, stream).isOk());
  CHECK(static_cast<WiredTigerBackend&>(*wt.backend).rowLayout().version() ==
        wt_key::RowLayout::kKeyBucketLast);
  CHECK(exportAll(*wt.backend) == stream);
  CHECK(getOne(*wt.backend, "ke", "short") == "2");
}

TEST_CASE("wiredtiger layout: an unknown layout is refused and nothing changes", "[wiredtiger]") {
  TempDir dir;
  {
    WiredTigerBackend b;
    REQUIRE(b.open(at(dir)).isOk());
    fill(b);
    b.close();
  }
  {
    RawDb raw(dir.path() / "wt");
    raw.put(kMetaTable, kLayoutKey, "9");
  }
  {
    WiredTigerBackend b;
    Status st = b.open(at(dir));
    CHECK(st.code() == StatusCode::DataLoss);
    CHECK(st.message().find("unknown row layout '9'") != std::string::npos);
  }
  {
    RawDb raw(dir.path() / "wt");
    raw.put(kMetaTable, kLayoutKey, "2");
  }
  WiredTigerBackend b;
  REQUIRE(b.open(at(dir)).isOk());
  CHECK(getOne(b, kKeyBucket, "r149") == "v");
}

TEST_CASE("wiredtiger layout: row keys split back into bucket and key", "[wiredtiger]") {
  for (int version : {wt_key::RowLayout::kBucketOrder, wt_key::RowLayout::kKeyBucketLast}) {
    const wt_key::RowLayout layout(version);
    for (const std::string& bucketName :
         {std::string("key"), std::string("lease"), std::string("ke"), std::string("key2"),
          std::string("a\0b", 3)}) {
      const std::string row = layout.prefix(bucketName) + std::string("k\0ey", 4);
      std::string gotBucket;
      std::string_view gotKey;
      REQUIRE(layout.split(row, gotBucket, gotKey));
      CHECK(gotBucket == bucketName);
      CHECK(gotKey == std::string_view("k\0ey", 4));
      CHECK(row < wt_key::RowLayout::end(layout.prefix(bucketName)));
    }
  }
  // Layout 2 keeps the key bucket under 0x02 only.
  std::string bucket;
  std::string_view key;
  const wt_key::RowLayout layout2(wt_key::RowLayout::kKeyBucketLast);
  CHECK_FALSE(layout2.split(std::string("\x01key\0\x01x", 7), bucket, key));
  CHECK_FALSE(layout2.split(std::string("key\0\x01x", 6), bucket, key));
}
