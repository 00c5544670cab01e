#include "wal/snapshotter.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "wal_test_util.h"

using namespace cairn;
using namespace cairn::wal;
using namespace cairn::wal::testing;

namespace {

raftpb::Snapshot makeSnap(uint64_t index, uint64_t term, const std::string& data) {
  raftpb::Snapshot snap;
  snap.set_data(data);
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(term);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
  snap.mutable_metadata()->mutable_conf_state()->add_voters(2);
  return snap;
}

}  // namespace

TEST_CASE("snapshotter saves and loads the newest allowed snapshot", "[snap]") {
  TempDir tmp;
  Snapshotter snapper(tmp.sub("member/snap"));
  raftpb::Snapshot out;
  CHECK(snapper.loadNewestAvailable({{0, 0}}, &out).code() == StatusCode::NotFound);

  REQUIRE(snapper.save(makeSnap(10, 1, "ten")));
  REQUIRE(snapper.save(makeSnap(20, 2, "twenty")));
  REQUIRE(snapper.save(makeSnap(30, 2, "thirty")));
  CHECK(std::filesystem::exists(tmp.sub("member/snap/0000000000000002-000000000000001e.snap")));

  REQUIRE(snapper.loadNewestAvailable({{10, 1}, {20, 2}, {30, 2}}, &out));
  CHECK(out.data() == "thirty");
  CHECK(out.metadata().index() == 30);
  CHECK(out.metadata().conf_state().voters_size() == 2);

  // 30 was never recorded in the WAL (e.g. crash before the marker): skip it.
  REQUIRE(snapper.loadNewestAvailable({{10, 1}, {20, 2}}, &out));
  CHECK(out.data() == "twenty");
  // A term that does not match is not the same snapshot.
  REQUIRE(snapper.loadNewestAvailable({{10, 1}, {20, 3}}, &out));
  CHECK(out.data() == "ten");
  CHECK(snapper.loadNewestAvailable({{5, 1}}, &out).code() == StatusCode::NotFound);
}

TEST_CASE("a corrupt snapshot is renamed .broken and an older one is used", "[snap]") {
  TempDir tmp;
  const std::string dir = tmp.sub("snap");
  Snapshotter snapper(dir);
  REQUIRE(snapper.save(makeSnap(10, 1, std::string(1000, 'a'))));
  REQUIRE(snapper.save(makeSnap(20, 1, std::string(1000, 'b'))));
  REQUIRE(snapper.save(makeSnap(30, 1, std::string(1000, 'c'))));
  const std::string p30 = dir + "/" + Snapshotter::fileName(1, 30);
  const std::string p20 = dir + "/" + Snapshotter::fileName(1, 20);
  std::string data = readFile(p30);
  data[500] ^= 0x10;  // bit flip inside the payload
  writeFile(p30, data);
  data = readFile(p20);
  writeFile(p20, data.substr(0, data.size() - 1));  // truncated

  raftpb::Snapshot out;
  REQUIRE(snapper.loadNewestAvailable({{10, 1}, {20, 1}, {30, 1}}, &out));
  CHECK(out.metadata().index() == 10);
  CHECK(out.data() == std::string(1000, 'a'));
  CHECK(std::filesystem::exists(p30 + ".broken"));
  CHECK(std::filesystem::exists(p20 + ".broken"));
  CHECK_FALSE(std::filesystem::exists(p30));
}

TEST_CASE("a snapshot whose contents disagree with its name is broken", "[snap]") {
  TempDir tmp;
  const std::string dir = tmp.sub("snap");
  Snapshotter snapper(dir);
  REQUIRE(snapper.save(makeSnap(10, 1, "x")));
  std::filesystem::rename(dir + "/" + Snapshotter::fileName(1, 10),
                          dir + "/" + Snapshotter::fileName(1, 11));
  raftpb::Snapshot out;
  CHECK(snapper.loadNewestAvailable({{11, 1}}, &out).code() == StatusCode::NotFound);
  CHECK(std::filesystem::exists(dir + "/" + Snapshotter::fileName(1, 11) + ".broken"));
}

TEST_CASE("purge keeps the newest snapshot files", "[snap]") {
  TempDir tmp;
  const std::string dir = tmp.sub("snap");
  Snapshotter snapper(dir);
  CHECK(snapper.purge(1));  // nothing there yet
  for (uint64_t i = 1; i <= 5; ++i) REQUIRE(snapper.save(makeSnap(i * 10, 1, "s")));
  writeFile(dir + "/" + Snapshotter::fileName(1, 60) + ".tmp", "half");
  REQUIRE(snapper.purge(2));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() == 2);
  CHECK(names[0] == Snapshotter::fileName(1, 40));
  CHECK(names[1] == Snapshotter::fileName(1, 50));
}
