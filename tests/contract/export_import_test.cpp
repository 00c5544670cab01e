// exportState / importState: the shared stream format round-trips within and
// across backends, and a corrupt stream never touches the existing state.
#include "backend_fixtures.h"
#include "cairn/storage_stream.h"

using namespace cairn;
using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

void fillSample(Backend& b) {
  WriteBatch w;
  for (int i = 0; i < 500; ++i) w.put(kKeyBucket, "k" + std::to_string(i), std::string(i, 'v'));
  w.put(kMetaBucket, "consistent_index", std::string("\0\0\0\0\0\0\0\x2a", 8));
  w.put("bin", std::string("\0\xff", 2), std::string("\0", 1));
  w.put("empty-value", "k", "");
  w.put(kLeaseBucket, "gone", "x");
  commitOk(b, w);
  w.clear();
  w.del(kLeaseBucket, "gone");  // deleted keys must not travel
  commitOk(b, w);
}

// Everything a backend holds in the buckets the sample uses.
std::map<std::string, Pairs> dump(Backend& b) {
  std::map<std::string, Pairs> out;
  auto txn = b.beginRead();
  for (const char* bucket : {"key", "meta", "bin", "empty-value", "lease", "extra"}) {
    Pairs p = scan(*txn, bucket);
    if (!p.empty()) out[bucket] = p;
  }
  return out;
}

template <typename From, typename To>
void roundTrip() {
  Opened<From> src;
  fillSample(*src.backend);
  std::string stream = exportAll(*src.backend);
  Opened<To> dst;
  WriteBatch w;
  w.put("extra", "stale", "must disappear");
  w.put(kKeyBucket, "k1", "overwritten");
  commitOk(*dst.backend, w);
  Status st = importAll(*dst.backend, stream);
  INFO(st.message());
  REQUIRE(st.isOk());
  CHECK(dump(*dst.backend) == dump(*src.backend));
  CHECK(dump(*dst.backend).count("extra") == 0);
  // The imported state exports to the very same bytes (canonical order).
  CHECK(exportAll(*dst.backend) == stream);
  // And it keeps working as a normal backend.
  w.clear();
  w.put(kKeyBucket, "after-import", "1");
  commitOk(*dst.backend, w);
  CHECK(getOne(*dst.backend, kKeyBucket, "after-import") == "1");
}

}  // namespace

TEMPLATE_TEST_CASE("export then import round-trips", "[contract][stream]",
                   CAIRN_CONTRACT_FIXTURES) {
  roundTrip<TestType, TestType>();
}

TEST_CASE("export from memory imports into wiredtiger", "[contract][stream]") {
  roundTrip<MemoryFixture, WiredTigerFixture>();
}
TEST_CASE("export from wiredtiger imports into memory", "[contract][stream]") {
  roundTrip<WiredTigerFixture, MemoryFixture>();
}

TEMPLATE_TEST_CASE("export of an empty backend imports as empty", "[contract][stream]",
                   CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> empty;
  std::string stream = exportAll(*empty.backend);
  Opened<TestType> b;
  fillSample(*b.backend);
  REQUIRE(importAll(*b.backend, stream).isOk());
  CHECK(dump(*b.backend).empty());
}

TEMPLATE_TEST_CASE("corrupt import streams are rejected and change nothing", "[contract][stream]",
                   CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> src;
  fillSample(*src.backend);
  const std::string good = exportAll(*src.backend);

  Opened<TestType> b;
  WriteBatch w;
  w.put(kKeyBucket, "mine", "precious");
  w.put("extra", "x", "y");
  commitOk(*b.backend, w);
  const auto before = dump(*b.backend);

  std::vector<std::pair<std::string, std::string>> cases;
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  cases.emplace_back("flipped byte in a record", flipped);
  std::string badCrc = good;
  badCrc.back() ^= 0x01;
  cases.emplace_back("flipped CRC", badCrc);
  cases.emplace_back("truncated", good.substr(0, good.size() - 7));
  cases.emplace_back("truncated after header", good.substr(0, 12));
  cases.emplace_back("trailing garbage", good + "x");
  cases.emplace_back("empty", "");
  std::string badMagic = good;
  badMagic[0] = 'X';
  cases.emplace_back("bad magic", badMagic);
  std::string badVersion = good;
  badVersion[8] = 9;
  cases.emplace_back("unknown version", badVersion);

  for (const auto& [what, data] : cases) {
    INFO(what);
    Status st = importAll(*b.backend, data, 333);
    CHECK_FALSE(st.isOk());
    CHECK_FALSE(st.message().empty());
    CHECK(dump(*b.backend) == before);
  }
  // The good stream still imports afterwards.
  REQUIRE(importAll(*b.backend, good).isOk());
  CHECK(dump(*b.backend) == dump(*src.backend));
}

TEMPLATE_TEST_CASE("readers opened before an import keep their snapshot", "[contract][stream]",
                   CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> src;
  fillSample(*src.backend);
  const std::string stream = exportAll(*src.backend);
  Opened<TestType> b;
  WriteBatch w;
  w.put(kKeyBucket, "k1", "old");
  commitOk(*b.backend, w);
  auto old = b->beginRead();
  REQUIRE(importAll(*b.backend, stream).isOk());
  CHECK(old->get(kKeyBucket, "k1") == "old");
  CHECK(getOne(*b.backend, kKeyBucket, "k1") == "v");
  old.reset();
}

TEMPLATE_TEST_CASE("export stops when the sink fails", "[contract][stream]",
                   CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  fillSample(*b.backend);
  int calls = 0;
  Status st = b->exportState([&](std::string_view) {
    ++calls;
    return Status(StatusCode::Unavailable, "peer went away");
  });
  CHECK(st.code() == StatusCode::Unavailable);
  CHECK(st.message() == "peer went away");
  CHECK(calls == 1);
}

TEST_CASE("stream codec: records survive any chunking", "[stream]") {
  std::string data;
  StreamEncoder enc(
      [&](std::string_view c) {
        data.append(c);
        return Status::ok();
      },
      /*chunkBytes=*/50);
  REQUIRE(enc.begin().isOk());
  for (int i = 0; i < 100; ++i) {
    REQUIRE(enc.add("b" + std::to_string(i % 3), std::string(i, '\0'), std::to_string(i)).isOk());
  }
  REQUIRE(enc.finish().isOk());
  for (std::size_t chunk : {1ul, 7ul, 4096ul}) {
    std::size_t pos = 0;
    StreamDecoder dec([&](std::string& out) {
      if (pos >= data.size()) return false;
      out.assign(data, pos, chunk);
      pos += chunk;
      return true;
    });
    StreamRecord rec;
    int n = 0;
    for (;;) {
      bool done = false;
      Status st = dec.next(rec, done);
      REQUIRE(st.isOk());
      if (done) break;
      CHECK(rec.bucket == "b" + std::to_string(n % 3));
      CHECK(rec.key == std::string(n, '\0'));
      CHECK(rec.value == std::to_string(n));
      ++n;
    }
    CHECK(n == 100);
  }
  // Every single-byte corruption is caught somewhere before `done`.
  int caught = 0;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::string bad = data;
    bad[i] ^= 0x5a;
    bool fed = false;
    StreamDecoder dec([&](std::string& out) {
      if (fed) return false;
      out = bad;
      fed = true;
      return true;
    });
    StreamRecord rec;
    Status st;
    bool done = false;
    while ((st = dec.next(rec, done)).isOk() && !done) {
    }
    if (!st.isOk()) ++caught;
  }
  CHECK(caught == static_cast<int>((data.size() + 2) / 3));
}
