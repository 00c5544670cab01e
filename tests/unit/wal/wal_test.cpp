#include "wal/wal.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "wal/segment_decoder.h"
#include "wal_test_util.h"

using namespace cairn;
using namespace cairn::wal;
using namespace cairn::wal::testing;

namespace {

struct Opened {
  std::unique_ptr<Wal> wal;
  std::string metadata;
  raftpb::HardState state;
  std::vector<raftpb::Entry> entries;
  bool repaired = false;
  Status status;
};

Opened openWal(const std::string& dir, WalSnapshot from = {}, Options opts = {}) {
  Opened o;
  o.status = Wal::open(dir, from, opts, &o.wal, &o.metadata, &o.state, &o.entries, &o.repaired);
  return o;
}

void requireEntries(const std::vector<raftpb::Entry>& got, const std::vector<raftpb::Entry>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("entry " << i);
    REQUIRE(sameEntry(got[i], want[i]));
  }
}

// Offsets of the records (after the leading Crc record) in a segment file.
std::vector<Record> recordsOf(const std::string& path, const std::string& data) {
  SegmentDecoder dec(path, data, true, std::nullopt);
  std::vector<Record> out;
  while (true) {
    Record rec;
    bool done = false;
    Status s = dec.next(&rec, &done);
    REQUIRE(s);
    if (done) break;
    out.push_back(rec);
  }
  return out;
}

}  // namespace

TEST_CASE("create, save, close and reopen round trip", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("member/wal");
  CHECK_FALSE(Wal::exists(dir));
  std::unique_ptr<Wal> wal;
  Options opts;
  opts.segmentSizeBytes = 1 << 20;
  REQUIRE(Wal::create(dir, "cluster=7;member=9", opts, &wal));
  CHECK(Wal::exists(dir));
  CHECK_FALSE(std::filesystem::exists(dir + ".tmp"));
  REQUIRE(wal->segments().size() == 1);
  CHECK(wal->segments()[0].path == dir + "/0000000000000000-0000000000000000.wal");
  // Preallocated to the segment size.
  struct stat st;
  REQUIRE(::stat(wal->segments()[0].path.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_size) == opts.segmentSizeBytes);

  auto ents = makeEntries(1, 5, 1);
  REQUIRE(wal->save(makeState(1, 2, 3), ents, true));
  REQUIRE(wal->save(makeState(1, 2, 5), {}, true));
  REQUIRE(wal->close());

  auto o = openWal(dir, {}, opts);
  REQUIRE(o.status);
  CHECK(o.metadata == "cluster=7;member=9");
  CHECK(o.state.term() == 1);
  CHECK(o.state.vote() == 2);
  CHECK(o.state.commit() == 5);
  requireEntries(o.entries, ents);
  CHECK_FALSE(o.repaired);

  // Appending after reopen continues the log.
  auto more = makeEntries(6, 8, 2);
  REQUIRE(o.wal->save(makeState(2, 1, 7), more, true));
  REQUIRE(o.wal->close());
  auto o2 = openWal(dir, {}, opts);
  REQUIRE(o2.status);
  ents.insert(ents.end(), more.begin(), more.end());
  requireEntries(o2.entries, ents);
  CHECK(o2.state.term() == 2);
  CHECK(o2.state.commit() == 7);
}

TEST_CASE("create refuses an existing WAL and open a missing one", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", {}, &wal));
  REQUIRE(wal->close());
  std::unique_ptr<Wal> again;
  CHECK(Wal::create(dir, "m", {}, &again).code() == StatusCode::AlreadyExists);
  auto o = openWal(tmp.sub("nowhere"));
  CHECK(o.status.code() == StatusCode::NotFound);
}

TEST_CASE("reopen without close (simulated crash after sync) keeps everything", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 8192;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  auto ents = makeEntries(1, 30, 1);
  REQUIRE(wal->save(makeState(1, 1, 30), ents, true));
  // Copy the directory while the writer still holds it: what a crash leaves.
  const std::string copy = tmp.sub("copy");
  std::filesystem::copy(dir, copy);
  auto o = openWal(copy, {}, opts);
  REQUIRE(o.status);
  requireEntries(o.entries, ents);
  CHECK_FALSE(o.repaired);
}

TEST_CASE("many segments are cut and read back in order", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 4096;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "meta", opts, &wal));
  std::vector<raftpb::Entry> all;
  for (uint64_t i = 1; i <= 300; i += 3) {
    auto batch = makeEntries(i, i + 2, 1 + i / 100, 100);
    REQUIRE(wal->save(makeState(1 + i / 100, 1, i), batch, true));
    all.insert(all.end(), batch.begin(), batch.end());
  }
  const auto segs = wal->segments();
  REQUIRE(segs.size() > 5);
  for (size_t i = 0; i < segs.size(); ++i) {
    CHECK(segs[i].seq == i);
    if (i > 0) {
      CHECK(segs[i].index > segs[i - 1].index);
      // A finished segment is cut back to its records (no preallocation left).
      struct stat st;
      REQUIRE(::stat(segs[i - 1].path.c_str(), &st) == 0);
      CHECK(static_cast<uint64_t>(st.st_size) >= opts.segmentSizeBytes);
      CHECK(dataEnd(readFile(segs[i - 1].path)) == static_cast<uint64_t>(st.st_size));
    }
  }
  REQUIRE(wal->close());
  // No temporary files survive a cut.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    CHECK(e.path().extension() == ".wal");
  }

  auto o = openWal(dir, {}, opts);
  REQUIRE(o.status);
  requireEntries(o.entries, all);
  CHECK(o.metadata == "meta");
  CHECK(o.state.commit() == 298);
}

TEST_CASE("a later entry at a lower index replaces the suffix (raft truncation)", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 2048;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  REQUIRE(wal->save(makeState(1, 1, 0), makeEntries(1, 20, 1), true));
  // New leader overwrote 12.. with its own entries of term 2.
  REQUIRE(wal->save(makeState(2, 2, 0), makeEntries(12, 14, 2), true));
  // And again, from further back, after more segments were cut.
  REQUIRE(wal->save(makeState(3, 3, 0), makeEntries(10, 11, 3), true));
  REQUIRE(wal->save(makeState(3, 3, 0), makeEntries(12, 12, 3), false));
  REQUIRE(wal->close());

  auto want = makeEntries(1, 9, 1);
  auto tail = makeEntries(10, 12, 3);
  want.insert(want.end(), tail.begin(), tail.end());
  auto o = openWal(dir, {}, opts);
  REQUIRE(o.status);
  requireEntries(o.entries, want);

  // Read from a snapshot at 5: the same suffix, above 5.
  REQUIRE(o.wal->saveSnapshot({5, 1}));
  REQUIRE(o.wal->close());
  auto o5 = openWal(dir, {5, 1}, opts);
  REQUIRE(o5.status);
  requireEntries(o5.entries, std::vector<raftpb::Entry>(want.begin() + 5, want.end()));
}

TEST_CASE("a rewrite below the snapshot drops stale entries above it", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", {}, &wal));
  REQUIRE(wal->save({}, makeEntries(1, 100, 1), true));
  // A new leader replaced the log from 40 on; the new log reaches 50, which
  // is then committed and snapshotted.
  REQUIRE(wal->save(makeState(2, 2, 50), makeEntries(40, 50, 2), true));
  REQUIRE(wal->saveSnapshot({50, 2}));
  REQUIRE(wal->close());
  auto o = openWal(dir, {50, 2});
  REQUIRE(o.status);
  CHECK(o.entries.empty());  // not the stale term-1 entries 51..100
  REQUIRE(o.wal->save({}, makeEntries(51, 52, 2), true));
  REQUIRE(o.wal->close());
  auto o2 = openWal(dir, {50, 2});
  REQUIRE(o2.status);
  requireEntries(o2.entries, makeEntries(51, 52, 2));
}

TEST_CASE("an index gap is data loss", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", {}, &wal));
  REQUIRE(wal->save({}, makeEntries(1, 3, 1), true));
  REQUIRE(wal->save({}, makeEntries(5, 6, 1), true));
  REQUIRE(wal->close());
  auto o = openWal(dir);
  CHECK(o.status.code() == StatusCode::DataLoss);
  CHECK_THAT(o.status.message(), Catch::Contains("gap") && Catch::Contains("at offset"));
}

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

TEST_CASE("releaseTo removes old segments and reopen from a snapshot works", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  Options opts;
  opts.segmentSizeBytes = 4096;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  std::vector<raftpb::Entry> all;
  for (uint64_t i = 1; i <= 200; i += 4) {
    auto batch = makeEntries(i, i + 3, 1, 60);
    REQUIRE(wal->save(makeState(1, 1, i + 3), batch, true));
    all.insert(all.end(), batch.begin(), batch.end());
  }
  REQUIRE(wal->saveSnapshot({150, 1}));
  const auto before = wal->segments();
  REQUIRE(before.size() > 4);
  REQUIRE(wal->releaseTo(150));
  const auto after = wal->segments();
  REQUIRE(after.size() < before.size());
  CHECK(after.front().index <= 150);
  if (after.size() > 1) CHECK(after[1].index > 150);
  for (const auto& seg : before) {
    const bool kept = seg.seq >= after.front().seq;
    CHECK(std::filesystem::exists(seg.path) == kept);
  }
  // More appends after the release, then reopen from the snapshot.
  auto more = makeEntries(201, 210, 2, 60);
  REQUIRE(wal->save(makeState(2, 1, 205), more, true));
  REQUIRE(wal->close());
  all.insert(all.end(), more.begin(), more.end());

  std::vector<WalSnapshot> markers;
  REQUIRE(readSnapshotMarkers(dir, &markers));
  REQUIRE(markers.size() == 1);
  CHECK(markers[0] == WalSnapshot{150, 1});

  auto o = openWal(dir, {150, 1}, opts);
  REQUIRE(o.status);
  requireEntries(o.entries, std::vector<raftpb::Entry>(all.begin() + 150, all.end()));
  CHECK(o.state.term() == 2);
  CHECK(o.state.commit() == 205);
  REQUIRE(o.wal->close());

  // The beginning of the log is gone, a never-recorded snapshot is unknown,
  // and a term mismatch is refused.
  CHECK(openWal(dir, {0, 0}, opts).status.code() == StatusCode::DataLoss);
  CHECK(openWal(dir, {160, 1}, opts).status.code() == StatusCode::DataLoss);
  CHECK(openWal(dir, {150, 2}, opts).status.code() == StatusCode::DataLoss);
}

TEST_CASE("readSnapshotMarkers returns only committed markers", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", {}, &wal));
  REQUIRE(wal->save(makeState(1, 1, 10), makeEntries(1, 20, 1), true));
  REQUIRE(wal->saveSnapshot({5, 1}));
  REQUIRE(wal->saveSnapshot({10, 1}));
  REQUIRE(wal->saveSnapshot({15, 1}));  // above commit 10
  // Readable while the writer holds the lock.
  std::vector<WalSnapshot> markers;
  REQUIRE(readSnapshotMarkers(dir, &markers));
  REQUIRE(markers.size() == 3);
  CHECK(markers[0] == WalSnapshot{0, 0});
  CHECK(markers[1] == WalSnapshot{5, 1});
  CHECK(markers[2] == WalSnapshot{10, 1});
}

TEST_CASE("the directory lock keeps a second writer out", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(dir, "m", {}, &wal));
  auto second = openWal(dir);
  CHECK(second.status.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(second.status.message(), Catch::Contains("locked"));

  // Another process is refused too.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto o = openWal(dir);
    ::_exit(o.status.code() == StatusCode::FailedPrecondition ? 0 : 1);
  }
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  CHECK(WIFEXITED(wstatus));
  CHECK(WEXITSTATUS(wstatus) == 0);

  REQUIRE(wal->close());
  auto third = openWal(dir);
  CHECK(third.status);
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

TEST_CASE("a closed wal refuses writes", "[wal]") {
  TempDir tmp;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(tmp.sub("wal"), "m", {}, &wal));
  REQUIRE(wal->close());
  CHECK(wal->save({}, makeEntries(1, 1, 1), true).code() == StatusCode::FailedPrecondition);
  CHECK(wal->close());
}
