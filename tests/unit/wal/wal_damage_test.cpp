// The WAL after damage: torn and lost writes, garbage, flipped CRCs,
// missing and half-made segments.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "wal/wal.h"
#include "wal_open_util.h"

using namespace cairn;
using namespace cairn::wal;
using namespace cairn::wal::testing;

TEST_CASE("a torn last record is cut away at every byte offset", "[wal][crash]") {
  TempDir tmp(/*preferMemory=*/true);
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 16384;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  auto ents = makeEntries(1, 5, 1, 700);  // the last record spans two 512-byte sectors
  REQUIRE(wal->save(makeState(1, 1, 4), ents, true));
  const std::string segPath = wal->segments().back().path;
  const uint64_t before = dataEnd(readFile(segPath));
  auto last = makeEntry(6, 1, 700);
  REQUIRE(wal->save({}, {last}, true));
  REQUIRE(wal->close());
  const std::string full = readFile(segPath);
  const uint64_t after = dataEnd(full);
  REQUIRE(after > before);
  uint64_t lastNonZero = full.size();
  while (full[lastNonZero - 1] == '\0') --lastNonZero;

  auto withLast = ents;
  withLast.push_back(last);
  const std::string work = tmp.sub("work");
  std::filesystem::create_directory(work);
  const std::string workSeg = work + "/" + std::filesystem::path(segPath).filename().string();

  for (uint64_t cut = before; cut <= after; ++cut) {
    // 1) The file itself ends at `cut` (a crash while the file was growing).
    {
      INFO("truncated at " << cut);
      writeFile(workSeg, full.substr(0, cut));
      auto o = openWal(work, {}, opts);
      REQUIRE(o.status);
      requireEntries(o.entries, cut == after ? withLast : ents);
      CHECK(o.repaired == (cut != before && cut != after));
      CHECK(o.state.commit() == 4);
      REQUIRE(o.wal->close());
    }
    // 2) Bytes from `cut` on never reached the (preallocated, zeroed) file.
    {
      INFO("zero-filled from " << cut);
      std::string z = full;
      std::fill(z.begin() + static_cast<std::ptrdiff_t>(cut), z.end(), '\0');
      writeFile(workSeg, z);
      auto o = openWal(work, {}, opts);
      REQUIRE(o.status);
      const bool complete = cut >= lastNonZero;
      requireEntries(o.entries, complete ? withLast : ents);
      CHECK(o.repaired == (!complete && cut != before));
      REQUIRE(o.wal->close());
    }
  }

  // After a repair the log is appendable and the new record reads back.
  writeFile(workSeg, full.substr(0, before + 100));
  {
    auto o = openWal(work, {}, opts);
    REQUIRE(o.status);
    CHECK(o.repaired);
    auto again = makeEntry(6, 2, 30);
    REQUIRE(o.wal->save(makeState(2, 1, 6), {again}, true));
    REQUIRE(o.wal->close());
    auto o2 = openWal(work, {}, opts);
    REQUIRE(o2.status);
    CHECK_FALSE(o2.repaired);
    auto want = ents;
    want.push_back(again);
    requireEntries(o2.entries, want);
  }
}

TEST_CASE("a lost sector inside an unsynced batch ends the log there", "[wal][crash]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 16384;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  auto first = makeEntries(1, 2, 1, 100);
  REQUIRE(wal->save({}, first, true));
  REQUIRE(wal->save({}, makeEntries(3, 5, 1, 1500), false));
  const std::string seg = wal->segments().back().path;
  REQUIRE(wal->close());
  std::string data = readFile(seg);
  auto recs = recordsOf(seg, data);
  // metadata, snapshot marker, entries 1..5
  REQUIRE(recs.size() == 7);
  // Power loss kept entry 5 but not one sector in the middle of entry 4.
  const uint64_t rec4 = recs[5].offset;
  const uint64_t sector = (rec4 + kRecordHeaderSize + 511) / 512 * 512;
  REQUIRE(sector + 512 < recs[6].offset);
  std::fill(data.begin() + static_cast<std::ptrdiff_t>(sector),
            data.begin() + static_cast<std::ptrdiff_t>(sector + 512), '\0');
  writeFile(seg, data);
  auto o = openWal(dir, {}, opts);
  REQUIRE(o.status);
  CHECK(o.repaired);
  auto want = first;
  want.push_back(makeEntry(3, 1, 1500));
  requireEntries(o.entries, want);
}

TEST_CASE("garbage after the zero-filled end is cut away before appending", "[wal][crash]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 16384;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  auto ents = makeEntries(1, 3, 1);
  REQUIRE(wal->save({}, ents, true));
  const std::string seg = wal->segments().back().path;
  REQUIRE(wal->close());
  std::string data = readFile(seg);
  const uint64_t end = dataEnd(data);
  // Power loss can persist a later sector of an unsynced batch without an
  // earlier one: a zero header followed by stray bytes.
  data.replace(end + 1024, 16, std::string(16, '\x5a'));
  writeFile(seg, data);
  auto o = openWal(dir, {}, opts);
  REQUIRE(o.status);
  CHECK(o.repaired);
  requireEntries(o.entries, ents);
  REQUIRE(o.wal->save({}, makeEntries(4, 4, 1), true));
  REQUIRE(o.wal->close());
  auto o2 = openWal(dir, {}, opts);
  REQUIRE(o2.status);
  CHECK_FALSE(o2.repaired);
  CHECK(o2.entries.size() == 4);
}

TEST_CASE("a flipped crc in a middle record is data loss naming file and offset",
          "[wal][corrupt]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 4096;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  uint64_t next = 1;
  for (; next <= 120; next += 4) REQUIRE(wal->save({}, makeEntries(next, next + 3, 1, 80), true));
  // Make sure the last segment holds a few records after its header.
  while (recordsOf(wal->segments().back().path, readFile(wal->segments().back().path)).size() < 5) {
    REQUIRE(wal->save({}, {makeEntry(next, 1, 10)}, true));
    ++next;
  }
  const auto segs = wal->segments();
  REQUIRE(segs.size() >= 3);
  REQUIRE(wal->close());

  SECTION("in a middle segment") {
    const std::string path = segs[1].path;
    std::string data = readFile(path);
    auto recs = recordsOf(path, data);
    REQUIRE(recs.size() > 4);
    const uint64_t off = recs[3].offset;
    data[off + kRecordHeaderSize + 5] ^= 0x01;
    writeFile(path, data);
    auto o = openWal(dir, {}, opts);
    CHECK(o.status.code() == StatusCode::DataLoss);
    CHECK(o.status.message() ==
          "wal: crc mismatch in " + path + " at offset " + std::to_string(off));
  }
  SECTION("in the last segment, with valid records after it") {
    const std::string path = segs.back().path;
    std::string data = readFile(path);
    auto recs = recordsOf(path, data);
    REQUIRE(recs.size() >= 3);
    const uint64_t off = recs[1].offset;
    data[off + 9] ^= 0x40;  // the stored CRC itself
    writeFile(path, data);
    auto o = openWal(dir, {}, opts);
    CHECK(o.status.code() == StatusCode::DataLoss);
    CHECK(o.status.message() ==
          "wal: crc mismatch in " + path + " at offset " + std::to_string(off));
  }
  SECTION("records cut off the end of a middle segment break the crc chain") {
    const std::string path = segs[1].path;
    std::string data = readFile(path);
    auto recs = recordsOf(path, data);
    ::truncate(path.c_str(), static_cast<off_t>(recs.back().offset));
    auto o = openWal(dir, {}, opts);
    CHECK(o.status.code() == StatusCode::DataLoss);
    CHECK_THAT(o.status.message(), Catch::Contains(segs[2].path + " at offset 0"));
  }
}

TEST_CASE("a missing middle segment is data loss", "[wal][corrupt]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 4096;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  for (uint64_t i = 1; i <= 120; i += 4) REQUIRE(wal->save({}, makeEntries(i, i + 3, 1, 80), true));
  const auto segs = wal->segments();
  REQUIRE(segs.size() >= 3);
  REQUIRE(wal->close());
  REQUIRE(::unlink(segs[1].path.c_str()) == 0);
  auto o = openWal(dir, {}, opts);
  CHECK(o.status.code() == StatusCode::DataLoss);
  CHECK_THAT(o.status.message(), Catch::Contains(segs[2].path));
  std::vector<WalSnapshot> markers;
  CHECK(readSnapshotMarkers(dir, &markers).code() == StatusCode::DataLoss);
}

TEST_CASE("a half-made segment left by a crash during cut is ignored", "[wal][crash]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", {}, &wal));
  REQUIRE(wal->save({}, makeEntries(1, 3, 1), true));
  REQUIRE(wal->close());
  const std::string stale = dir + "/0000000000000001-0000000000000004.wal.tmp";
  writeFile(stale, std::string(100, 'q'));
  auto o = openWal(dir);
  REQUIRE(o.status);
  CHECK(o.entries.size() == 3);
  CHECK_FALSE(std::filesystem::exists(stale));
}
