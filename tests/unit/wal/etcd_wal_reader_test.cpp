// The reader of etcd 3.4's WAL, on segments this test encodes as etcd's
// wal/encoder.go does (frame length with padding bits, walpb.Record, CRC-32C
// chained across records and carried into each segment by a crc record).
// The import's integration test (tests/integration/test_etcd_wal_import.py)
// reads WALs written by a real etcd.
#include "wal/etcd_wal_reader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "etcd_wal_test_writer.h"

using namespace cairn;
using namespace cairn::wal;
using cairn::testing::EtcdWalWriter;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("etcd-wal-reader-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("etcd wal: entries after the index, bounded by nothing but the log") {
  TempDir t;
  EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(0x8e9e05c52164694d, 0xcdf818194e3a8c32);
  for (uint64_t i = 1; i <= 5; ++i) w.entry(2, i, "e" + std::to_string(i));
  w.state(2, 4);
  w.flush(4096);

  EtcdWalIds ids;
  REQUIRE(readEtcdWalIds(t.path.string(), &ids));
  CHECK(ids.memberId == 0x8e9e05c52164694d);
  CHECK(ids.clusterId == 0xcdf818194e3a8c32);

  EtcdWalContents c;
  REQUIRE(readEtcdWal(t.path.string(), 2, &c));
  CHECK(c.ids.memberId == 0x8e9e05c52164694d);
  CHECK(c.commit == 4);
  CHECK(c.term == 2);
  REQUIRE(c.entries.size() == 3);
  CHECK(c.entries[0].index == 3);
  CHECK(c.entries[0].data == "e3");
  CHECK(c.entries[2].index == 5);
  CHECK(c.afterTerm == std::optional<uint64_t>(2));
}

TEST_CASE("etcd wal: a later entry replaces the tail; the crc chain spans segments") {
  TempDir t;
  EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(1, 2);
  for (uint64_t i = 1; i <= 6; ++i) w.entry(2, i, "old" + std::to_string(i));
  w.cut();
  w.entry(3, 4, "new4", 1);
  w.entry(3, 5, "new5");
  w.state(3, 5);
  w.flush();

  EtcdWalContents c;
  REQUIRE(readEtcdWal(t.path.string(), 2, &c));
  REQUIRE(c.entries.size() == 3);
  CHECK(c.entries[0].data == "old3");
  CHECK(c.entries[1].data == "new4");
  CHECK(c.entries[1].type == EtcdEntryType::ConfChange);
  CHECK(c.entries[2].data == "new5");
  CHECK(c.commit == 5);
}

TEST_CASE("etcd wal: a torn tail ends the log; damage elsewhere is DataLoss") {
  TempDir t;
  EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(1, 2);
  w.entry(2, 1, "a");
  w.state(2, 1);
  std::string& buf = w.buffer();
  const std::size_t good = buf.size();
  w.entry(2, 2, std::string(600, 'x'));

  SECTION("cut short") {
    buf.resize(buf.size() - 100);
    w.flush();
    EtcdWalContents c;
    REQUIRE(readEtcdWal(t.path.string(), 0, &c));
    CHECK(c.entries.size() == 1);
    CHECK(c.commit == 1);
  }
  SECTION("a zeroed sector") {
    // The entry spans the sector boundary at 512; its second sector is lost.
    REQUIRE(good < 512);
    REQUIRE(buf.size() > 600);
    std::fill(buf.begin() + 512, buf.end(), '\0');
    w.flush();
    EtcdWalContents c;
    REQUIRE(readEtcdWal(t.path.string(), 0, &c));
    CHECK(c.entries.size() == 1);
  }
  SECTION("a flipped byte, no zeroed sector") {
    buf[good + 40] ^= 1;
    w.flush();
    EtcdWalContents c;
    CHECK(readEtcdWal(t.path.string(), 0, &c).code() == StatusCode::DataLoss);
  }
  SECTION("damage in a segment that is not the last") {
    buf.resize(buf.size() - 100);
    w.flush();
    w.cut();
    w.entry(2, 2, "b");
    w.flush();
    EtcdWalContents c;
    CHECK(readEtcdWal(t.path.string(), 0, &c).code() == StatusCode::DataLoss);
  }
}

TEST_CASE("etcd wal: a gap in the entries is DataLoss") {
  TempDir t;
  EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(1, 2);
  w.entry(2, 1, "a");
  w.entry(2, 3, "c");
  w.flush();
  EtcdWalContents c;
  CHECK(readEtcdWal(t.path.string(), 0, &c).code() == StatusCode::DataLoss);
}

TEST_CASE("etcd wal: Cairn's own WAL or an empty dir is refused") {
  TempDir t;
  fs::create_directories(t.path);
  EtcdWalContents c;
  CHECK(readEtcdWal(t.path.string(), 0, &c).code() == StatusCode::NotFound);
  std::ofstream(t.path / "0000000000000000-0000000000000000.wal", std::ios::binary)
      << std::string("\x04\0\0\0\x04\0\0\0abcd", 12);
  CHECK(readEtcdWal(t.path.string(), 0, &c).code() == StatusCode::DataLoss);
}
