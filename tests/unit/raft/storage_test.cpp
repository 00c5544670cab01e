#include <catch2/catch.hpp>

#include "raft/memory_storage.h"
#include "raft/raft_log.h"

using namespace cairn;
using namespace cairn::raft;

namespace {
raftpb::Entry ent(uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  return e;
}
}  // namespace

TEST_CASE("memory storage append, term, entries, compact", "[raft][storage]") {
  MemoryStorage st;
  CHECK(st.firstIndex() == 1);
  CHECK(st.lastIndex() == 0);
  REQUIRE(st.append({ent(1, 1), ent(2, 1), ent(3, 2)}).isOk());
  CHECK(st.lastIndex() == 3);
  uint64_t t = 0;
  REQUIRE(st.term(3, &t).isOk());
  CHECK(t == 2);
  CHECK(st.term(4, &t).message() == kErrUnavailable);

  // Conflicting suffix replaced.
  REQUIRE(st.append({ent(3, 3), ent(4, 3)}).isOk());
  REQUIRE(st.term(3, &t).isOk());
  CHECK(t == 3);
  CHECK(st.lastIndex() == 4);
  // A gap is refused.
  CHECK_FALSE(st.append({ent(6, 3)}).isOk());

  std::vector<raftpb::Entry> out;
  REQUIRE(st.entries(1, 5, kNoLimit, &out).isOk());
  CHECK(out.size() == 4);
  // Size limit still returns at least one entry.
  REQUIRE(st.entries(1, 5, 0, &out).isOk());
  CHECK(out.size() == 1);

  REQUIRE(st.compact(2).isOk());
  CHECK(st.firstIndex() == 3);
  CHECK(st.entries(2, 4, kNoLimit, &out).message() == kErrCompacted);
  CHECK(st.term(1, &t).message() == kErrCompacted);
  REQUIRE(st.term(2, &t).isOk());  // the dummy keeps the compacted term
  CHECK(t == 1);
  CHECK(st.compact(2).message() == kErrCompacted);
  CHECK_FALSE(st.compact(9).isOk());
  // Appending entries that are partly compacted keeps only the new part.
  REQUIRE(st.append({ent(2, 1), ent(3, 3), ent(4, 3), ent(5, 3)}).isOk());
  CHECK(st.lastIndex() == 5);
  CHECK(st.firstIndex() == 3);
}

namespace {
raftpb::Entry sized(uint64_t index, std::size_t bytes) {
  raftpb::Entry e = ent(index, 1);
  e.set_data(std::string(bytes, 'x'));
  return e;
}
}  // namespace

TEST_CASE("size limits keep what limitSize keeps, from storage and the unstable tail",
          "[raft][storage]") {
  MemoryStorage st;
  std::vector<raftpb::Entry> stored;
  for (uint64_t i = 1; i <= 6; ++i) stored.push_back(sized(i, 100));
  REQUIRE(st.append(stored).isOk());
  const uint64_t one = stored[0].ByteSizeLong();
  std::vector<raftpb::Entry> out;
  for (uint64_t maxSize :
       {uint64_t{0}, one - 1, one, 2 * one, 2 * one + 1, 3 * one - 1, 6 * one, kNoLimit}) {
    REQUIRE(st.entries(2, 7, maxSize, &out).isOk());
    std::vector<raftpb::Entry> want(stored.begin() + 1, stored.end());
    limitSize(&want, maxSize);
    CHECK(out.size() == want.size());
  }
  CHECK(countWithinSize(stored.data(), 3, 2 * one, one, true) == 1);
  CHECK(countWithinSize(stored.data(), 3, one - 1, one, true) == 0);
  CHECK(countWithinSize(stored.data(), 3, one - 1, 0, false) == 1);

  // A log whose entries 1-3 are stable and 4-6 unstable: a slice across
  // both stops where the limit says, wherever that falls.
  MemoryStorage half;
  REQUIRE(half.append({stored[0], stored[1], stored[2]}).isOk());
  RaftLog log(&half, kNoLimit);
  log.append({stored[3], stored[4], stored[5]});
  for (uint64_t maxSize : {uint64_t{0}, one, 2 * one, 3 * one, 4 * one + 1, 5 * one, kNoLimit}) {
    REQUIRE(log.slice(1, 7, maxSize, &out).isOk());
    std::vector<raftpb::Entry> want = stored;
    limitSize(&want, maxSize);
    REQUIRE(out.size() == want.size());
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i].index() == i + 1);
  }
  REQUIRE(log.slice(5, 7, one, &out).isOk());
  CHECK(out.size() == 1);
}

TEST_CASE("memory storage snapshots", "[raft][storage]") {
  MemoryStorage st;
  REQUIRE(st.append({ent(1, 1), ent(2, 1), ent(3, 2)}).isOk());
  raftpb::ConfState cs;
  cs.add_voters(1);
  raftpb::Snapshot snap;
  REQUIRE(st.createSnapshot(2, &cs, "data", &snap).isOk());
  CHECK(snap.metadata().index() == 2);
  CHECK(snap.metadata().term() == 1);
  CHECK(st.createSnapshot(2, &cs, "data", &snap).message() == kErrSnapOutOfDate);
  CHECK_FALSE(st.createSnapshot(7, &cs, "data", &snap).isOk());

  raftpb::Snapshot newer;
  newer.mutable_metadata()->set_index(10);
  newer.mutable_metadata()->set_term(4);
  *newer.mutable_metadata()->mutable_conf_state() = cs;
  REQUIRE(st.applySnapshot(newer).isOk());
  CHECK(st.firstIndex() == 11);
  CHECK(st.lastIndex() == 10);
  CHECK(st.applySnapshot(snap).message() == kErrSnapOutOfDate);
  raftpb::HardState hs;
  raftpb::ConfState got;
  REQUIRE(st.initialState(&hs, &got).isOk());
  CHECK(got.voters_size() == 1);
}
