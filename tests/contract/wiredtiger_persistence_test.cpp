// WiredTiger-only contract: state survives close/open, open errors are clear
// and never destroy data, settings are validated.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "backend_fixtures.h"

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

}  // namespace

TEST_CASE("wiredtiger: state survives close and reopen", "[wiredtiger]") {
  TempDir dir;
  {
    WiredTigerBackend b;
    REQUIRE(b.open(at(dir)).isOk());
    WriteBatch w;
    w.put("key", "a", "1");
    w.put("meta", std::string("\0ci", 3), "42");
    REQUIRE(b.commit(w).isOk());
    REQUIRE(b.sync().isOk());
    w.clear();
    w.put("key", "b", "2");  // not synced: close() must still keep it
    REQUIRE(b.commit(w).isOk());
    b.close();
  }
  WiredTigerBackend b;
  Status st = b.open(at(dir));
  INFO(st.message());
  REQUIRE(st.isOk());
  CHECK(b.persistent());
  CHECK(getOne(b, "key", "a") == "1");
  CHECK(getOne(b, "key", "b") == "2");
  CHECK(getOne(b, "meta", std::string("\0ci", 3)) == "42");
  CHECK(b.sizeAllocated() > 0);
  // Close and reopen of the same object works too.
  b.close();
  REQUIRE(b.open(at(dir)).isOk());
  CHECK(getOne(b, "key", "a") == "1");
}

TEST_CASE("wiredtiger: an import survives reopen", "[wiredtiger]") {
  TempDir dir;
  Opened<MemoryFixture> src;
  WriteBatch w;
  w.put("key", "imported", "yes");
  commitOk(*src.backend, w);
  std::string stream = exportAll(*src.backend);
  {
    WiredTigerBackend b;
    REQUIRE(b.open(at(dir)).isOk());
    w.clear();
    w.put("key", "old", "no");
    REQUIRE(b.commit(w).isOk());
    REQUIRE(importAll(b, stream).isOk());
    // Import twice: the table flips back and forth.
    REQUIRE(importAll(b, stream).isOk());
    REQUIRE(importAll(b, stream).isOk());
    b.close();
  }
  WiredTigerBackend b;
  REQUIRE(b.open(at(dir)).isOk());
  CHECK(getOne(b, "key", "imported") == "yes");
  CHECK_FALSE(getOne(b, "key", "old").has_value());
}

TEST_CASE("wiredtiger: settings are validated", "[wiredtiger]") {
  TempDir dir;
  WiredTigerBackend b;
  Status st = b.open(at(dir, {{"no_such_option", "1"}}));
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(st.message().find("no_such_option") != std::string::npos);
  st = b.open(at(dir, {{"checkpoint_interval_ms", "soon"}}));
  CHECK(st.code() == StatusCode::InvalidArgument);
  st = b.open(at(dir, {{"upgrade_layout", "yes"}}));
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(st.message() == "wiredtiger: invalid value 'yes' for storage option 'upgrade_layout'");
  st = b.open(Options{});
  CHECK(st.code() == StatusCode::InvalidArgument);
  st = b.open(
      at(dir, {{"checkpoint_interval_ms", "10"}, {"checkpoint_ops", "5"}, {"cache_size", "64MB"}}));
  INFO(st.message());
  REQUIRE(st.isOk());
  CHECK(b.open(at(dir)).code() == StatusCode::FailedPrecondition);  // already open
  WriteBatch w;
  for (int i = 0; i < 20; ++i) {
    w.clear();
    w.put("key", std::to_string(i), "v");
    REQUIRE(b.commit(w).isOk());
  }
  CHECK(b.sync().isOk());
}

TEST_CASE("wiredtiger: open errors are clear and keep data", "[wiredtiger]") {
  TempDir dir;
  SECTION("the path is a file") {
    std::ofstream(dir.path() / "wt") << "not a directory";
    WiredTigerBackend b;
    Status st = b.open(at(dir));
    CHECK_FALSE(st.isOk());
    CHECK(st.message().find("wt") != std::string::npos);
  }
  SECTION("the directory is not writable") {
    if (geteuid() == 0) {
      WARN("running as root: permission checks do not apply");
    } else {
      std::filesystem::create_directories(dir.path() / "ro");
      chmod((dir.path() / "ro").c_str(), 0500);
      WiredTigerBackend b;
      Options o;
      o.path = (dir.path() / "ro" / "wt").string();
      Status st = b.open(o);
      CHECK(st.code() == StatusCode::PermissionDenied);
      CHECK(st.message().find("ro") != std::string::npos);
      chmod((dir.path() / "ro").c_str(), 0700);
    }
  }
  SECTION("corrupt metadata") {
    {
      WiredTigerBackend b;
      REQUIRE(b.open(at(dir)).isOk());
      WriteBatch w;
      w.put("key", "precious", "data");
      REQUIRE(b.commit(w).isOk());
      b.close();
    }
    const auto turtle = dir.path() / "wt" / "WiredTiger.turtle";
    std::string original;
    {
      std::ifstream in(turtle, std::ios::binary);
      original.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE_FALSE(original.empty());
    std::ofstream(turtle, std::ios::binary | std::ios::trunc) << "garbage\ngarbage\n";
    {
      WiredTigerBackend b;
      Status st = b.open(at(dir));
      INFO(st.message());
      CHECK_FALSE(st.isOk());
      CHECK(st.message().find("cannot open database") != std::string::npos);
    }
    // Nothing was destroyed: restoring the file brings the data back.
    std::ofstream(turtle, std::ios::binary | std::ios::trunc) << original;
    WiredTigerBackend b;
    Status st = b.open(at(dir));
    INFO(st.message());
    REQUIRE(st.isOk());
    CHECK(getOne(b, "key", "precious") == "data");
  }
  SECTION("not open") {
    WiredTigerBackend b;
    WriteBatch w;
    w.put("key", "a", "b");
    CHECK(b.commit(w).code() == StatusCode::FailedPrecondition);
    CHECK(b.sync().code() == StatusCode::FailedPrecondition);
  }
}

TEST_CASE("wiredtiger: the size counts rows not yet checkpointed", "[wiredtiger]") {
  // An appending table is split in WiredTiger's cache, not written out by
  // the commits: without counting them, a quota would see the data only a
  // checkpoint later.
  TempDir dir;
  WiredTigerBackend b;
  REQUIRE(b.open(at(dir, {{"checkpoint_interval_ms", "0"}, {"checkpoint_ops", "0"}})).isOk());
  const uint64_t empty = b.sizeAllocated();
  const std::string value(64 * 1024, 'v');
  for (int i = 0; i < 64; ++i) {
    WriteBatch w;
    w.put(kKeyBucket, "r" + std::to_string(1000 + i), value);
    REQUIRE(b.commit(w).isOk());
  }
  CHECK(b.sizeAllocated() >= empty + 64 * value.size());
  CHECK(b.sizeInUse() >= 64 * value.size());
  // After a checkpoint the files hold them; nothing is counted twice.
  REQUIRE(b.sync().isOk());
  const uint64_t synced = b.sizeAllocated();
  CHECK(synced >= 64 * value.size());
  CHECK(synced < empty + 3 * 64 * value.size());
}
