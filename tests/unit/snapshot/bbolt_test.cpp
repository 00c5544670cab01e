#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "snapshot/bbolt_format.h"
#include "snapshot/bbolt_reader.h"
#include "snapshot/bbolt_writer.h"

using namespace cairn;
using namespace cairn::snapshot;

namespace {

// A positional in-memory file.
struct MemFile {
  std::string bytes;
  BboltWriter::WriteAt writer() {
    return [this](uint64_t off, std::string_view data) {
      if (bytes.size() < off + data.size()) bytes.resize(off + data.size(), '\0');
      bytes.replace(off, data.size(), data);
      return Status::ok();
    };
  }
  BboltReader reader() {
    return BboltReader(
        [this](uint64_t off, std::size_t n, std::string* out) {
          *out = off >= bytes.size() ? std::string() : bytes.substr(off, n);
          return Status::ok();
        },
        bytes.size());
  }
};

using Buckets = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

Buckets readAll(BboltReader& r) {
  Buckets out;
  std::vector<std::string> names;
  REQUIRE(r.bucketNames(&names));
  for (const std::string& n : names) {
    auto& pairs = out[n];
    REQUIRE(r.forEach(n, [&](std::string_view k, std::string_view v) {
      pairs.emplace_back(std::string(k), std::string(v));
      return true;
    }));
  }
  return out;
}

std::string key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%08d", i);
  return buf;
}

}  // namespace

TEST_CASE("bbolt: a multi-level tree with overflow pages reads back in order") {
  MemFile file;
  BboltWriter w(file.writer());
  Buckets want;
  // 30000 pairs make three levels; one 10000-byte value overflows its page.
  for (int i = 0; i < 30000; ++i) {
    std::string v = i == 777 ? std::string(10000, 'x') : "value-" + std::to_string(i);
    REQUIRE(w.add("key", key(i), v));
    want["key"].emplace_back(key(i), v);
  }
  REQUIRE(w.add("alpha", "a", "1"));
  want["alpha"].emplace_back("a", "1");
  REQUIRE(w.ensureBucket("empty"));
  want["empty"];
  REQUIRE(w.finish());
  REQUIRE(file.bytes.size() == w.fileBytes());
  REQUIRE(file.bytes.size() % bbolt::kPageSize == 0);

  BboltReader r = file.reader();
  REQUIRE(r.open());
  CHECK(r.meta().txid == 2);
  CHECK(r.meta().highWater * bbolt::kPageSize == file.bytes.size());
  std::vector<std::string> names;
  REQUIRE(r.bucketNames(&names));
  CHECK(names == std::vector<std::string>{"alpha", "empty", "key"});
  CHECK(readAll(r) == want);
}

TEST_CASE(
    "bbolt: every page below the high-water mark is a meta or tree page, as in etcd's files") {
  MemFile file;
  BboltWriter w(file.writer());
  for (int i = 0; i < 5000; ++i) REQUIRE(w.add("key", key(i), std::string(100, 'v')));
  REQUIRE(w.finish());
  const uint64_t pages = file.bytes.size() / bbolt::kPageSize;
  uint64_t pgid = 0;
  while (pgid < pages) {
    const char* p = file.bytes.data() + pgid * bbolt::kPageSize;
    // The header names the page itself (bbolt checks it on reads).
    REQUIRE(bbolt::getLe(p, 8) == pgid);
    const uint64_t flags = bbolt::getLe(p + 8, 2);
    CHECK((flags == bbolt::kMetaPageFlag || flags == bbolt::kLeafPageFlag ||
           flags == bbolt::kBranchPageFlag));
    pgid += 1 + bbolt::getLe(p + 12, 4);
  }
  CHECK(pgid == pages);
}

TEST_CASE("bbolt: the writer refuses unordered keys and split buckets") {
  MemFile file;
  SECTION("keys out of order") {
    BboltWriter w(file.writer());
    REQUIRE(w.add("key", "b", "1"));
    Status st = w.add("key", "a", "1");
    CHECK(st.code() == StatusCode::InvalidArgument);
    CHECK_FALSE(w.finish());  // sticky
  }
  SECTION("a repeated key") {
    BboltWriter w(file.writer());
    REQUIRE(w.add("key", "a", "1"));
    CHECK(w.add("key", "a", "2").code() == StatusCode::InvalidArgument);
  }
  SECTION("a bucket that comes back") {
    BboltWriter w(file.writer());
    REQUIRE(w.add("a", "1", "1"));
    REQUIRE(w.add("b", "1", "1"));
    CHECK(w.add("a", "2", "1").code() == StatusCode::InvalidArgument);
  }
}

TEST_CASE("bbolt: the reader rejects damaged and truncated files") {
  MemFile file;
  BboltWriter w(file.writer());
  for (int i = 0; i < 2000; ++i) REQUIRE(w.add("key", key(i), "v"));
  REQUIRE(w.finish());
  SECTION("truncated") {
    file.bytes.resize(file.bytes.size() - bbolt::kPageSize);
    BboltReader r = file.reader();
    CHECK(r.open().code() == StatusCode::DataLoss);
  }
  SECTION("both metas damaged") {
    file.bytes[16 + 20] ^= 1;
    file.bytes[bbolt::kPageSize + 16 + 20] ^= 1;
    BboltReader r = file.reader();
    CHECK(r.open().code() == StatusCode::DataLoss);
  }
  SECTION("one meta damaged: the other one serves") {
    file.bytes[bbolt::kPageSize + 16 + 20] ^= 1;
    BboltReader r = file.reader();
    REQUIRE(r.open());
    CHECK(r.meta().txid == 1);
    CHECK(readAll(r)["key"].size() == 2000);
  }
  SECTION("a tree page overwritten") {
    // The last page is the root bucket's leaf; a branch pointing past the
    // end makes the walk fail instead of reading garbage.
    const std::size_t last = file.bytes.size() - bbolt::kPageSize;
    bbolt::putLe(&file.bytes[last + 8], bbolt::kBranchPageFlag, 2);
    bbolt::putLe(&file.bytes[last + 16 + 8], 1u << 30, 8);
    BboltReader r = file.reader();
    REQUIRE(r.open());
    std::vector<std::string> names;
    CHECK(r.bucketNames(&names).code() == StatusCode::DataLoss);
  }
}

TEST_CASE("bbolt: fnv64a is Go's hash/fnv New64a") {
  CHECK(bbolt::fnv64a("") == 0xcbf29ce484222325ull);
  CHECK(bbolt::fnv64a("a") == 0xaf63dc4c8601ec8cull);
}
