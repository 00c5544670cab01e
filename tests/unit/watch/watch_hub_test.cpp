// WatchHub and WatchStream semantics (etcd 3.4's watchable store and watch
// stream), single-threaded.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "watch_test_util.h"

using namespace cairn;
using namespace cairn::watch;
using namespace cairn::watch::test;

namespace {

std::vector<std::string> keysOf(const std::vector<Ev>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs) out.push_back(std::get<2>(e));
  return out;
}

}  // namespace

TEST_CASE("watch: key, range, prefix and from-key matching", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  int64_t single = mustCreate(*s, watchKey("foo"));
  int64_t range = mustCreate(*s, watchKey("a", "c"));
  int64_t prefix = mustCreate(*s, watchKey("pre", "prf"));
  int64_t fromKey = mustCreate(*s, watchKey("m", std::string(1, '\0')));
  REQUIRE(single == 0);
  REQUIRE(range == 1);
  REQUIRE(prefix == 2);
  REQUIRE(fromKey == 3);
  for (const char* k : {"foo", "b", "c", "pre1", "prefix", "zzz", "a", "fo", "foo0", "l"})
    f.put(k, "v");
  f.del("b");
  s->flush();
  auto by = eventsById(sink.all());
  CHECK(keysOf(by[single]) == std::vector<std::string>{"foo"});
  CHECK(keysOf(by[range]) == std::vector<std::string>{"b", "a", "b"});
  CHECK(keysOf(by[prefix]) == std::vector<std::string>{"pre1", "prefix"});
  CHECK(keysOf(by[fromKey]) == std::vector<std::string>{"pre1", "prefix", "zzz"});
  CHECK(std::get<1>(by[range].back()) == mvccpb::Event::DELETE);
  // Created responses come first, with the hub's revision.
  auto all = sink.all();
  REQUIRE(all.size() >= 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(all[i].created());
    CHECK(all[i].watch_id() == i);
    CHECK(all[i].header().revision() == 1);
  }
  CHECK(sink.readyCalls > 0);
}

TEST_CASE("watch: ids chosen by the stream or the client; errors", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  auto p = watchKey("k");
  p.watchId = 1;
  REQUIRE(mustCreate(*s, p) == 1);
  REQUIRE(mustCreate(*s, watchKey("k")) == 0);
  REQUIRE(mustCreate(*s, watchKey("k")) == 2);  // skips the client's 1
  int64_t id = 99;
  Status dup = s->create(p, &id);
  CHECK(dup.message() == "mvcc: duplicate watch ID provided on the WatchStream");
  Status empty = s->create(watchKey("b", "a"), &id);
  CHECK(empty.message() == "mvcc: watcher range is empty");
  s->flush();
  auto all = sink.all();
  REQUIRE(all.size() == 5);
  for (int i : {3, 4}) {
    CHECK(all[i].created());
    CHECK(all[i].canceled());
    CHECK(all[i].watch_id() == -1);
  }
  CHECK(all[3].cancel_reason() == dup.message());
  CHECK(all[4].cancel_reason() == empty.message());
  CHECK(f.hub->watcherCount() == 3);
  // Another stream has its own id space.
  RecordingSink sink2;
  auto s2 = f.hub->newStream(sink2);
  REQUIRE(mustCreate(*s2, p) == 1);
  s.reset();  // closing a stream removes its watchers
  CHECK(f.hub->watcherCount() == 1);
}

TEST_CASE("watch: cancel stops events, drops queued ones and answers canceled", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  int64_t a = mustCreate(*s, watchKey("k"));
  int64_t b = mustCreate(*s, watchKey("k"));
  f.put("k", "1");  // queued for both, not flushed
  REQUIRE(s->cancel(a).isOk());
  CHECK(s->cancel(a).message() == "mvcc: watcher does not exist");
  f.put("k", "2");
  s->flush();
  auto by = eventsById(sink.all());
  CHECK(by[a].empty());
  CHECK(by[b].size() == 2);
  bool sawCancel = false;
  for (const auto& r : sink.all())
    if (r.watch_id() == a && r.canceled()) {
      sawCancel = true;
      CHECK(r.header().revision() == 2);
    }
  CHECK(sawCancel);
  CHECK(f.hub->watcherCount() == 1);
}

TEST_CASE("watch: NOPUT / NODELETE filters and prev_kv", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  auto noPut = watchKey("k");
  noPut.noPut = true;
  auto noDel = watchKey("k");
  noDel.noDelete = true;
  auto prev = watchKey("k");
  prev.prevKv = true;
  int64_t np = mustCreate(*s, noPut);
  int64_t nd = mustCreate(*s, noDel);
  int64_t pv = mustCreate(*s, prev);
  int64_t plain = mustCreate(*s, watchKey("k"));
  f.put("k", "1");
  f.put("k", "2");
  f.del("k");
  s->flush();
  auto all = sink.all();
  auto by = eventsById(all);
  REQUIRE(by[np].size() == 1);
  CHECK(std::get<1>(by[np][0]) == mvccpb::Event::DELETE);
  REQUIRE(by[nd].size() == 2);
  CHECK(std::get<1>(by[nd][1]) == mvccpb::Event::PUT);
  REQUIRE(by[pv].size() == 3);
  std::vector<std::string> prevs;
  for (const auto& r : all)
    for (const auto& e : r.events()) {
      if (r.watch_id() == pv) prevs.push_back(e.has_prev_kv() ? e.prev_kv().value() : "-");
      if (r.watch_id() == plain) CHECK_FALSE(e.has_prev_kv());
    }
  CHECK(prevs == std::vector<std::string>{"-", "1", "2"});

  SECTION("history events get prev_kv from the injected reader") {
    sink.clear();
    auto p = watchKey("k");
    p.prevKv = true;
    p.startRevision = 2;
    int64_t id = mustCreate(*s, p);
    f.syncAll();
    s->flush();
    std::vector<std::string> hist;
    for (const auto& r : sink.all())
      if (r.watch_id() == id)
        for (const auto& e : r.events())
          hist.push_back(e.has_prev_kv() ? e.prev_kv().value() : "-");
    CHECK(hist == std::vector<std::string>{"-", "1", "2"});
  }
}

TEST_CASE("watch: a past start revision replays history, then continues live", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  for (int i = 0; i < 50; ++i) f.put("k" + std::to_string(i % 5), std::to_string(i));  // revs 2..51
  int64_t id = mustCreate(*s, watchKey("k", "l", 10));
  int64_t single = mustCreate(*s, watchKey("k3", "", 2));
  CHECK(f.hub->unsyncedCount() == 2);
  f.put("k1", "live-before-sync");  // rev 52: not yet delivered to unsynced watchers
  f.syncAll(7);                     // small limit: several history rounds
  f.put("k3", "live");              // rev 53
  s->flush();
  auto by = eventsById(sink.all());
  REQUIRE(by[id].size() == 44);  // revs 10..53
  for (std::size_t i = 0; i < by[id].size(); ++i)
    CHECK(std::get<0>(by[id][i]) == 10 + static_cast<int64_t>(i));
  std::vector<int64_t> revs;
  for (const auto& e : by[single]) revs.push_back(std::get<0>(e));
  CHECK(revs == std::vector<int64_t>{5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 53});
}

TEST_CASE("watch: a future start revision skips earlier events", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  int64_t id = mustCreate(*s, watchKey("k", "", 4));
  for (int i = 0; i < 5; ++i) f.put("k", std::to_string(i));  // revs 2..6
  s->flush();
  std::vector<int64_t> revs;
  auto by = eventsById(sink.all());
  for (const auto& e : by[id]) revs.push_back(std::get<0>(e));
  CHECK(revs == std::vector<int64_t>{4, 5, 6});
}

TEST_CASE("watch: a start revision below the compaction is canceled with compact_revision",
          "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  for (int i = 0; i < 10; ++i) f.put("k", std::to_string(i));  // revs 2..11
  REQUIRE(f.store->compact(8, 0).isOk());
  int64_t old = mustCreate(*s, watchKey("k", "", 3));
  int64_t atFloor = mustCreate(*s, watchKey("k", "", 8));
  f.syncAll();
  s->flush();
  auto all = sink.all();
  bool canceled = false;
  for (const auto& r : all)
    if (r.watch_id() == old && r.canceled()) {
      canceled = true;
      CHECK(r.compact_revision() == 8);
      CHECK(r.events_size() == 0);
    }
  CHECK(canceled);
  auto by = eventsById(all);
  CHECK(by[old].empty());
  CHECK(by[atFloor].size() == 4);  // revs 8..11
  CHECK(f.hub->watcherCount() == 1);
}

TEST_CASE("watch: one txn's events arrive together with one revision", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  int64_t id = mustCreate(*s, watchKey("a", "z"));
  f.put("b", "0");
  // Read at once: a revision queued behind an unread one of the same
  // watcher would be merged into it (watch_merge_test).
  s->flush();
  auto txn = f.store->write();
  int64_t rev = 0, n = 0;
  REQUIRE(txn->put("c", "1", 0, &rev).isOk());
  REQUIRE(txn->put("d", "2", 0, &rev).isOk());
  REQUIRE(txn->deleteRange("b", "", &n, &rev).isOk());
  REQUIRE(txn->end(0).isOk());
  f.hub->notify(rev, txn->events());
  s->flush();
  auto all = sink.all();
  const etcdserverpb::WatchResponse* last = nullptr;
  int eventResponses = 0;
  for (const auto& r : all)
    if (r.watch_id() == id && r.events_size() > 0) {
      ++eventResponses;
      last = &r;
    }
  REQUIRE(eventResponses == 2);
  REQUIRE(last->events_size() == 3);
  CHECK(last->header().revision() == rev);
  for (const auto& e : last->events()) CHECK(e.kv().mod_revision() == rev);
}

TEST_CASE("watch: big responses of fragment watchers are split", "[watch]") {
  HubConfig cfg;
  cfg.maxResponseBytes = 300;
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  auto frag = watchKey("k", "l");
  frag.fragment = true;
  int64_t fid = mustCreate(*s, frag);
  int64_t whole = mustCreate(*s, watchKey("k", "l"));
  auto txn = f.store->write();
  int64_t rev = 0;
  for (int i = 0; i < 10; ++i)
    REQUIRE(txn->put("k" + std::to_string(i), std::string(60, 'x'), 0, &rev).isOk());
  REQUIRE(txn->end(0).isOk());
  f.hub->notify(rev, txn->events());
  s->flush();
  std::vector<const etcdserverpb::WatchResponse*> frags;
  auto all = sink.all();
  int wholeCount = 0;
  for (const auto& r : all) {
    if (r.watch_id() == fid && r.events_size() > 0) frags.push_back(&r);
    if (r.watch_id() == whole && r.events_size() > 0) {
      ++wholeCount;
      CHECK(r.events_size() == 10);
      CHECK_FALSE(r.fragment());
    }
  }
  CHECK(wholeCount == 1);
  REQUIRE(frags.size() > 1);
  int total = 0;
  for (std::size_t i = 0; i < frags.size(); ++i) {
    CHECK(frags[i]->fragment() == (i + 1 < frags.size()));
    CHECK(frags[i]->header().revision() == rev);
    CHECK(frags[i]->ByteSizeLong() < 300);
    total += frags[i]->events_size();
  }
  CHECK(total == 10);
}

TEST_CASE("watch: progress notifications", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  auto p = watchKey("k");
  p.progressNotify = true;
  int64_t id = mustCreate(*s, p);
  int64_t other = mustCreate(*s, watchKey("k"));
  f.put("x", "1");  // rev 2, not watched
  s->flush();
  sink.clear();
  f.hub->progressTick();
  s->flush();
  auto all = sink.all();
  REQUIRE(all.size() == 1);
  CHECK(all[0].watch_id() == id);
  CHECK(all[0].events_size() == 0);
  CHECK(all[0].header().revision() == 2);

  // Not idle: an event was queued since the last tick.
  sink.clear();
  f.put("k", "1");
  f.hub->progressTick();
  s->flush();
  for (const auto& r : sink.all()) CHECK(r.events_size() > 0);
  sink.clear();
  f.hub->progressTick();
  s->flush();
  CHECK(sink.all().size() == 1);

  SECTION("requestProgress answers watch_id -1 once every watcher is synced") {
    sink.clear();
    s->requestProgress();
    s->flush();
    all = sink.all();
    REQUIRE(all.size() == 1);
    CHECK(all[0].watch_id() == -1);
    CHECK(all[0].header().revision() == 3);

    sink.clear();
    mustCreate(*s, watchKey("k", "", 2));  // unsynced until caught up
    s->requestProgress();
    s->flush();
    for (const auto& r : sink.all()) CHECK(r.watch_id() != -1);
    f.syncAll();
    s->flush();
    all = sink.all();
    REQUIRE_FALSE(all.empty());
    CHECK(all.back().watch_id() == -1);
    CHECK(all.back().header().revision() == 3);
  }
  (void)other;
}

TEST_CASE("watch: a full buffer never blocks notify; the watcher catches up exactly once",
          "[watch]") {
  HubConfig cfg;
  cfg.watcherBufferResponses = 4;
  cfg.recentRevisions = 16;  // force history reads for the big gap
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  auto p = watchKey("k", "l");
  p.prevKv = true;
  int64_t id = mustCreate(*s, p);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 500; ++i) f.put("k" + std::to_string(i % 7), std::to_string(i));  // 2..501
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(f.hub->unsyncedCount() == 1);
  // Drain and catch up, the way the server's threads would.
  for (int round = 0; round < 10000; ++round) {
    s->flush();
    if (f.hub->syncUnsynced(50) == 0 && s->queuedResponses() == 0) break;
  }
  f.put("k1", "after");  // 502, live again
  s->flush();
  auto all = sink.all();
  auto by = eventsById(all);
  REQUIRE(by[id].size() == 501);
  for (std::size_t i = 0; i < by[id].size(); ++i)
    REQUIRE(std::get<0>(by[id][i]) == 2 + static_cast<int64_t>(i));
  // prev_kv is present on every non-create event, live or from history.
  int withPrev = 0;
  for (const auto& r : all)
    for (const auto& e : r.events()) withPrev += e.has_prev_kv() ? 1 : 0;
  CHECK(withPrev == 501 - 7);
}

TEST_CASE("watch: reset after a snapshot catches watchers up from history", "[watch]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  int64_t id = mustCreate(*s, watchKey("k"));
  f.put("k", "1");  // rev 2, notified
  // Writes the hub never saw (as if installed by a snapshot).
  for (int i = 0; i < 3; ++i) {
    auto txn = f.store->write();
    int64_t rev = 0;
    REQUIRE(txn->put("k", "s" + std::to_string(i), 0, &rev).isOk());
    REQUIRE(txn->end(0).isOk());
  }
  f.hub->reset(f.store->currentRevision());
  f.syncAll();
  f.put("k", "live");
  s->flush();
  std::vector<int64_t> revs;
  auto by = eventsById(sink.all());
  for (const auto& e : by[id]) revs.push_back(std::get<0>(e));
  CHECK(revs == std::vector<int64_t>{2, 3, 4, 5, 6});
}
