// RangeIndex against a brute-force model under random inserts and erases.
#include "watch/range_index.h"

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using cairn::watch::RangeIndex;
using cairn::watch::Watcher;

namespace {

bool covers(const Watcher& w, const std::string& k) {
  if (w.fromKey) return k >= w.key;
  return k >= w.key && k < w.end;
}

}  // namespace

TEST_CASE("RangeIndex: stabbing matches brute force under random churn", "[watch][range_index]") {
  std::mt19937 rng(42);
  auto key = [&] {
    return std::string(1, static_cast<char>('a' + rng() % 12)) + std::to_string(rng() % 3);
  };
  std::vector<std::unique_ptr<Watcher>> all;
  std::set<Watcher*> live;
  RangeIndex idx;
  for (int step = 0; step < 3000; ++step) {
    if (live.empty() || rng() % 3 != 0) {
      auto w = std::make_unique<Watcher>();
      w->key = key();
      if (rng() % 5 == 0) {
        w->fromKey = true;
      } else {
        w->end = key();
        if (w->end <= w->key) w->end = w->key + "z";
      }
      idx.insert(w.get());
      live.insert(w.get());
      all.push_back(std::move(w));
    } else {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      idx.erase(*it);
      live.erase(it);
    }
    REQUIRE(idx.size() == live.size());
    for (int q = 0; q < 5; ++q) {
      std::string k = key();
      std::multiset<Watcher*> want, got;
      for (Watcher* w : live)
        if (covers(*w, k)) want.insert(w);
      idx.forEachCovering(k, [&](Watcher* w) { got.insert(w); });
      REQUIRE(got == want);
    }
  }
  for (Watcher* w : live) idx.erase(w);
  REQUIRE(idx.size() == 0);
  bool any = false;
  idx.forEachCovering("a0", [&](Watcher*) { any = true; });
  REQUIRE_FALSE(any);
}
