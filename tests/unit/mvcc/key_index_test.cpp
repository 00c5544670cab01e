#include "key_index.h"

#include <catch2/catch.hpp>

#include "tree_index.h"

using cairn::mvcc::KeyIndex;
using cairn::mvcc::KeyRange;
using cairn::mvcc::Revision;
using cairn::mvcc::RevisionSet;
using cairn::mvcc::TreeIndex;

namespace {

// put 2, 4, tombstone 6, put 8, 10, tombstone 12, put 14, 14.1, 16
KeyIndex history() {
  KeyIndex ki("foo");
  REQUIRE(ki.put({2, 0}));
  REQUIRE(ki.put({4, 0}));
  REQUIRE(ki.tombstone({6, 0}));
  REQUIRE(ki.put({8, 0}));
  REQUIRE(ki.put({10, 0}));
  REQUIRE(ki.tombstone({12, 0}));
  REQUIRE(ki.put({14, 0}));
  REQUIRE(ki.put({14, 1}));
  REQUIRE(ki.put({16, 0}));
  return ki;
}

}  // namespace

TEST_CASE("KeyIndex records generations", "[keyindex]") {
  KeyIndex ki = history();
  const auto& g = ki.generations();
  REQUIRE(g.size() == 3);
  CHECK(g[0].created == Revision{2, 0});
  CHECK(g[0].ver == 3);
  CHECK(g[0].revs == std::vector<Revision>{{2, 0}, {4, 0}, {6, 0}});
  CHECK(g[1].created == Revision{8, 0});
  CHECK(g[1].revs == std::vector<Revision>{{8, 0}, {10, 0}, {12, 0}});
  CHECK(g[2].created == Revision{14, 0});
  CHECK(g[2].ver == 3);
  CHECK(ki.modified() == Revision{16, 0});
}

TEST_CASE("KeyIndex rejects stale puts and double tombstones", "[keyindex]") {
  KeyIndex ki("k");
  REQUIRE(ki.put({5, 0}));
  CHECK_FALSE(ki.put({5, 0}));
  CHECK_FALSE(ki.put({4, 3}));
  REQUIRE(ki.tombstone({6, 0}));
  CHECK(ki.tombstone({7, 0}).code() == cairn::StatusCode::NotFound);
}

TEST_CASE("KeyIndex get answers at every revision", "[keyindex]") {
  KeyIndex ki = history();
  struct Want {
    int64_t at;
    bool found;
    Revision mod;
    Revision created;
    int64_t ver;
  };
  const std::vector<Want> wants = {
      {1, false, {}, {}, 0},           {2, true, {2, 0}, {2, 0}, 1},
      {3, true, {2, 0}, {2, 0}, 1},    {4, true, {4, 0}, {2, 0}, 2},
      {5, true, {4, 0}, {2, 0}, 2},    {6, false, {}, {}, 0},
      {7, false, {}, {}, 0},           {8, true, {8, 0}, {8, 0}, 1},
      {11, true, {10, 0}, {8, 0}, 2},  {12, false, {}, {}, 0},
      {13, false, {}, {}, 0},          {14, true, {14, 1}, {14, 0}, 2},
      {15, true, {14, 1}, {14, 0}, 2}, {16, true, {16, 0}, {14, 0}, 3},
      {99, true, {16, 0}, {14, 0}, 3},
  };
  for (const auto& w : wants) {
    INFO("at " << w.at);
    Revision mod, created;
    int64_t ver = 0;
    REQUIRE(ki.get(w.at, &mod, &created, &ver) == w.found);
    if (w.found) {
      CHECK(mod == w.mod);
      CHECK(created == w.created);
      CHECK(ver == w.ver);
    }
  }
}

TEST_CASE("KeyIndex since keeps the last change per main revision", "[keyindex]") {
  KeyIndex ki = history();
  CHECK(ki.since(1) ==
        std::vector<Revision>{{2, 0}, {4, 0}, {6, 0}, {8, 0}, {10, 0}, {12, 0}, {14, 1}, {16, 0}});
  CHECK(ki.since(9) == std::vector<Revision>{{10, 0}, {12, 0}, {14, 1}, {16, 0}});
  CHECK(ki.since(16) == std::vector<Revision>{{16, 0}});
  CHECK(ki.since(17).empty());
}

TEST_CASE("KeyIndex compaction drops superseded revisions", "[keyindex]") {
  struct Case {
    int64_t at;
    std::size_t gens;
    std::vector<Revision> firstRevs;  // revs of the first remaining generation
    RevisionSet available;
  };
  const std::vector<Case> cases = {
      {1, 3, {{2, 0}, {4, 0}, {6, 0}}, {}},
      {2, 3, {{2, 0}, {4, 0}, {6, 0}}, {{2, 0}}},
      {3, 3, {{2, 0}, {4, 0}, {6, 0}}, {{2, 0}}},
      {4, 3, {{4, 0}, {6, 0}}, {{4, 0}}},
      {5, 3, {{4, 0}, {6, 0}}, {{4, 0}}},
      {6, 2, {{8, 0}, {10, 0}, {12, 0}}, {}},  // tombstone: generation gone
      {7, 2, {{8, 0}, {10, 0}, {12, 0}}, {}},
      {8, 2, {{8, 0}, {10, 0}, {12, 0}}, {{8, 0}}},
      {11, 2, {{10, 0}, {12, 0}}, {{10, 0}}},
      {12, 1, {{14, 0}, {14, 1}, {16, 0}}, {}},
      {14, 1, {{14, 1}, {16, 0}}, {{14, 1}}},
      {16, 1, {{16, 0}}, {{16, 0}}},
      {20, 1, {{16, 0}}, {{16, 0}}},
  };
  for (const auto& c : cases) {
    INFO("compact at " << c.at);
    KeyIndex ki = history();
    RevisionSet kept;
    ki.keep(c.at, &kept);
    RevisionSet available;
    ki.compact(c.at, &available);
    CHECK(available == c.available);
    CHECK(kept == c.available);
    REQUIRE(ki.generations().size() == c.gens);
    CHECK(ki.generations()[0].revs == c.firstRevs);
    // Reads at or above the compaction point are unchanged.
    KeyIndex full = history();
    for (int64_t at = c.at; at <= 20; ++at) {
      Revision m1, c1, m2, c2;
      int64_t v1 = 0, v2 = 0;
      bool f1 = full.get(at, &m1, &c1, &v1);
      bool f2 = ki.get(at, &m2, &c2, &v2);
      REQUIRE(f1 == f2);
      if (f1) {
        CHECK(m1 == m2);
        CHECK(v1 == v2);
      }
    }
  }
}

TEST_CASE("KeyIndex of a deleted key empties after compaction", "[keyindex]") {
  KeyIndex ki("k");
  REQUIRE(ki.put({2, 0}));
  REQUIRE(ki.tombstone({3, 0}));
  RevisionSet available;
  ki.compact(3, &available);
  CHECK(ki.isEmpty());
  CHECK(available.empty());
}

TEST_CASE("TreeIndex ranges follow etcd key-range conventions", "[keyindex]") {
  TreeIndex idx;
  REQUIRE(idx.put("a", {2, 0}));
  REQUIRE(idx.put("b", {3, 0}));
  REQUIRE(idx.put("c", {4, 0}));
  REQUIRE(idx.tombstone("b", {5, 0}));
  auto keys = [&](std::string_view k, std::string_view e, int64_t at) {
    std::vector<TreeIndex::Entry> out;
    idx.range(KeyRange{k, e}, at, &out);
    std::string s;
    for (auto& x : out) s += std::string(x.key);
    return s;
  };
  const std::string nul(1, '\0');
  CHECK(keys("a", "", 9) == "a");
  CHECK(keys("b", "", 9).empty());
  CHECK(keys("b", "", 4) == "b");
  CHECK(keys("a", "c", 9) == "a");
  CHECK(keys("a", "c", 4) == "ab");
  CHECK(keys("b", nul, 4) == "bc");
  CHECK(keys(nul, nul, 4) == "abc");
  CHECK(keys("c", "a", 9).empty());
  CHECK(idx.rangeSince(KeyRange{"a", "d"}, 3) == std::vector<Revision>{{3, 0}, {4, 0}, {5, 0}});
  RevisionSet kept = idx.compact(5);
  CHECK(idx.size() == 2);  // b is gone
  CHECK(kept == RevisionSet{{2, 0}, {4, 0}});
}

TEST_CASE("TreeIndex put with a lookup's hint", "[keyindex]") {
  TreeIndex plain;
  TreeIndex hinted;
  for (TreeIndex* idx : {&plain, &hinted}) {
    REQUIRE(idx->put("a", {1, 0}));
    REQUIRE(idx->put("b", {2, 0}));
  }
  Revision modified;
  Revision created;
  int64_t ver = 0;

  SECTION("a fresh hint stores the same as a search") {
    TreeIndex::Hint hint;
    REQUIRE(hinted.get("a", 2, &modified, &created, &ver, &hint));
    CHECK(hint.keyIndex != nullptr);
    REQUIRE(hinted.put("a", {3, 0}, hint));
    REQUIRE(plain.put("a", {3, 0}));
    CHECK(hinted == plain);
    CHECK(hinted.get("a", 3, &modified, &created, &ver));
    CHECK(modified == Revision{3, 0});
    CHECK(ver == 2);
  }
  SECTION("a hint for another key is not taken") {
    TreeIndex::Hint hint;
    REQUIRE(hinted.get("a", 2, &modified, &created, &ver, &hint));
    REQUIRE(hinted.put("b", {3, 0}, hint));
    CHECK(hinted.get("b", 3, &modified, &created, &ver));
    CHECK(modified == Revision{3, 0});
    CHECK(hinted.get("a", 3, &modified, &created, &ver));
    CHECK(modified == Revision{1, 0});
  }
  SECTION("a hint older than an erasure is not taken") {
    TreeIndex::Hint hint;
    REQUIRE(hinted.get("a", 2, &modified, &created, &ver, &hint));
    REQUIRE(hinted.tombstone("a", {3, 0}));
    hinted.compact(3);  // erases "a": the hint's entry is gone
    CHECK(hinted.size() == 1);
    REQUIRE(hinted.put("a", {4, 0}, hint));
    CHECK(hinted.get("a", 4, &modified, &created, &ver));
    CHECK(modified == Revision{4, 0});
    CHECK(created == Revision{4, 0});
    CHECK(ver == 1);
  }
  SECTION("a hint from a replaced or cleared index is not taken") {
    TreeIndex::Hint hint;
    REQUIRE(hinted.get("a", 2, &modified, &created, &ver, &hint));
    TreeIndex other;
    REQUIRE(other.put("z", {1, 0}));
    hinted = std::move(other);
    REQUIRE(hinted.put("a", {5, 0}, hint));
    CHECK(hinted.size() == 2);
    CHECK(hinted.get("a", 5, &modified, &created, &ver));
    CHECK(ver == 1);

    REQUIRE(hinted.get("a", 5, &modified, &created, &ver, &hint));
    hinted.clear();
    REQUIRE(hinted.put("a", {6, 0}, hint));
    CHECK(hinted.size() == 1);
    CHECK(hinted.get("a", 6, &modified, &created, &ver));
    CHECK(ver == 1);
  }
}
