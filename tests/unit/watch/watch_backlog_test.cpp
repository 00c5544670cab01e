// The stream's byte bound: a flooded stream holds at most
// HubConfig::streamBufferBytes of responses; the watchers that did not fit
// catch up from the recent log or history, each event exactly once and in
// order, and a compaction while they are behind cancels them as etcd does.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "watch_test_util.h"

using namespace cairn;
using namespace cairn::watch;
using namespace cairn::watch::test;

namespace {

// Drains the stream and runs catch-up rounds, as the server's threads would,
// until nothing is queued and nobody lags.
void drain(HubFixture& f, WatchStream& s) {
  for (int round = 0; round < 100000; ++round) {
    s.flush();
    if (f.hub->syncUnsynced(100) == 0 && s.queuedResponses() == 0) return;
  }
  FAIL("the stream never drained");
}

}  // namespace

TEST_CASE("watch: a flooded stream stays within its byte bound and every watcher catches up",
          "[watch][backlog]") {
  const bool historyToo = GENERATE(false, true);
  HubConfig cfg;
  cfg.streamBufferBytes = 8 * 1024;
  // A short recent log makes the catch-up read history as well.
  cfg.recentRevisions = historyToo ? 8 : 1024;
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  std::vector<int64_t> ids;
  for (int i = 0; i < 200; ++i) {
    auto p = watchKey("pre/", "pre0");
    p.prevKv = i % 2 == 0;
    ids.push_back(mustCreate(*s, p));
  }
  s->flush();
  sink.clear();
  const std::string value(100, 'v');
  std::size_t peak = 0;
  for (int i = 0; i < 300; ++i) {
    f.put("pre/" + std::to_string(i % 17), value + std::to_string(i));  // revs 2..301
    peak = std::max(peak, s->queuedBytes());
  }
  // Without the bound 200 x 300 responses (~7 MB) would be queued; one
  // response more than the bound at most.
  CHECK(peak <= cfg.streamBufferBytes + 512);
  CHECK(f.hub->unsyncedCount() > 0);
  drain(f, *s);
  // 302: every watcher is live again (200 responses are again more than the
  // bound: those that do not fit catch up once more).
  f.put("pre/live", "after");
  drain(f, *s);
  auto all = sink.all();
  auto by = eventsById(all);
  for (int64_t id : ids) {
    INFO("watcher " << id);
    INFO("first " << (by[id].empty() ? 0 : std::get<0>(by[id].front())) << " last "
                  << (by[id].empty() ? 0 : std::get<0>(by[id].back())));
    REQUIRE(by[id].size() == 301);
    for (std::size_t i = 0; i < by[id].size(); ++i)
      REQUIRE(std::get<0>(by[id][i]) == 2 + static_cast<int64_t>(i));
  }
  // Shared events are copied into each response with the watcher's own
  // options: prev_kv only where asked for, the value intact.
  for (const auto& r : all)
    for (const auto& e : r.events()) {
      if (e.kv().key() == "pre/live") continue;
      REQUIRE(e.kv().value().rfind(value, 0) == 0);
      const bool wantsPrev = r.watch_id() % 2 == 0;
      if (!wantsPrev) REQUIRE(!e.has_prev_kv());
      if (wantsPrev && e.kv().version() > 1) REQUIRE(e.has_prev_kv());
    }
  CHECK(s->queuedBytes() == 0);
}

TEST_CASE("watch: a compaction while a flooded watcher is behind cancels it with compact_revision",
          "[watch][backlog]") {
  HubConfig cfg;
  cfg.streamBufferBytes = 2 * 1024;
  cfg.recentRevisions = 4;  // the gap must come from history
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  int64_t id = mustCreate(*s, watchKey("k", "l"));
  for (int i = 0; i < 100; ++i) f.put("k" + std::to_string(i % 5), std::string(200, 'x'));
  REQUIRE(f.hub->unsyncedCount() == 1);
  // The client reads what was queued; meanwhile the store compacts past the
  // watcher's position.
  s->flush();
  const int64_t compactAt = f.store->currentRevision() - 2;
  REQUIRE(f.store->compact(compactAt, 0).isOk());
  drain(f, *s);
  auto all = sink.all();
  auto by = eventsById(all);
  // What arrived before the cancel is a gap-free prefix from revision 2.
  for (std::size_t i = 0; i < by[id].size(); ++i) CHECK(std::get<0>(by[id][i]) == 2 + int64_t(i));
  REQUIRE(!all.empty());
  const auto& last = all.back();
  CHECK(last.watch_id() == id);
  CHECK(last.canceled());
  CHECK(last.compact_revision() == compactAt);
  CHECK(f.hub->watcherCount() == 0);
}
