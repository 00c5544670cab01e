// The WAL: create, save, reopen, segments, truncation, release, locking.
#include "wal/wal.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "wal_open_util.h"

using namespace cairn;
using namespace cairn::wal;
using namespace cairn::wal::testing;

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

TEST_CASE("a closed wal refuses writes", "[wal]") {
  TempDir tmp;
  std::unique_ptr<Wal> wal;
  REQUIRE(Wal::create(tmp.sub("wal"), "m", {}, &wal));
  REQUIRE(wal->close());
  CHECK(wal->save({}, makeEntries(1, 1, 1), true).code() == StatusCode::FailedPrecondition);
  CHECK(wal->close());
}
