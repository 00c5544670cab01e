// Merging a lagging watcher's live revisions: while a watcher's previous live
// response is still queued (and its stream holds mergeAfterBytes: 0 by
// default and here unless said), the next revision rides along in it (up to
// HubConfig::mergeBytes), so a backlog costs one message per watcher and
// batch. Every event still arrives exactly once and in order, and nothing is
// merged ahead of a response queued after it (progress, cancel, catch-up).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "watch_test_util.h"

using namespace cairn;
using namespace cairn::watch;
using namespace cairn::watch::test;

namespace {

HubConfig mergeAtOnce() {
  HubConfig cfg;
  cfg.mergeAfterBytes = 0;
  return cfg;
}

// Revisions of watch id `id`'s events, in arrival order.
std::vector<int64_t> revsOf(const std::vector<etcdserverpb::WatchResponse>& all, int64_t id) {
  std::vector<int64_t> revs;
  // Named: a range-for over a member of a temporary would outlive it.
  auto byId = eventsById(all);
  for (const auto& e : byId[id]) revs.push_back(std::get<0>(e));
  return revs;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t r = from; r <= to; ++r) v.push_back(r);
  return v;
}

}  // namespace

TEST_CASE("watch: a lagging watcher's queued revisions go out merged, in order", "[watch][merge]") {
  // The default configuration: whatever waits takes the next revision along.
  HubFixture f(HubConfig{});
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  const int64_t a = mustCreate(*s, watchKey("k", "l"));
  auto pp = watchKey("k", "l");
  pp.prevKv = true;
  const int64_t b = mustCreate(*s, pp);
  s->flush();
  sink.clear();
  // Nobody reads while 50 revisions (2..51) are applied.
  for (int i = 0; i < 50; ++i) f.put("k" + std::to_string(i % 3), "v" + std::to_string(i));
  CHECK(s->queuedResponses() == 2);  // one per watcher
  s->flush();
  auto all = sink.all();
  REQUIRE(all.size() == 2);
  for (const auto& r : all) {
    CHECK(r.header().revision() == 51);  // the newest revision it carries
    CHECK(r.events_size() == 50);
  }
  CHECK(revsOf(all, a) == range(2, 51));
  CHECK(revsOf(all, b) == range(2, 51));
  // Each watcher's own options: prev_kv only for b (every key but the first
  // three writes had a previous value).
  for (const auto& r : all) {
    int withPrev = 0;
    for (const auto& e : r.events()) withPrev += e.has_prev_kv() ? 1 : 0;
    CHECK(withPrev == (r.watch_id() == b ? 47 : 0));
  }

  // Read up to date: the next revision goes out alone again.
  sink.clear();
  f.put("k1", "alone");
  s->flush();
  REQUIRE(sink.all().size() == 2);
  CHECK(revsOf(sink.all(), a) == std::vector<int64_t>{52});
}

TEST_CASE("watch: a taken response is not merged into, and the merge stays within mergeBytes",
          "[watch][merge]") {
  HubConfig cfg = mergeAtOnce();
  cfg.mergeBytes = 1024;
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  const int64_t id = mustCreate(*s, watchKey("k", "l"));
  s->flush();
  sink.clear();
  f.put("k", "first");  // 2
  etcdserverpb::WatchResponse taken;
  REQUIRE(s->poll(&taken));  // in flight at the client's side now
  CHECK(taken.events_size() == 1);
  for (int i = 0; i < 100; ++i) f.put("k", std::string(100, 'x'));  // 3..102
  const std::size_t queued = s->queuedResponses();
  CHECK(queued > 1);
  CHECK(queued < 100);
  s->flush();
  std::vector<etcdserverpb::WatchResponse> all{taken};
  for (const auto& r : sink.all()) {
    CHECK(r.ByteSizeLong() <= cfg.mergeBytes + 256);
    all.push_back(r);
  }
  CHECK(revsOf(all, id) == range(2, 102));
}

TEST_CASE("watch: nothing is merged ahead of a progress response or a cancel", "[watch][merge]") {
  HubFixture f(mergeAtOnce());
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  const int64_t a = mustCreate(*s, watchKey("k", "l"));
  const int64_t b = mustCreate(*s, watchKey("k", "l"));
  s->flush();
  sink.clear();
  for (int i = 0; i < 5; ++i) f.put("k", "1");  // 2..6
  s->requestProgress();                         // claims revision 6
  for (int i = 0; i < 5; ++i) f.put("k", "2");  // 7..11
  REQUIRE(s->cancel(b).isOk());
  f.put("k", "3");  // 12: only a
  s->flush();
  auto all = sink.all();
  bool progressSeen = false;
  bool cancelSeen = false;
  for (const auto& r : all) {
    if (r.watch_id() == -1) {
      CHECK(r.header().revision() == 6);
      progressSeen = true;
      continue;
    }
    if (r.canceled()) {
      CHECK(r.watch_id() == b);
      cancelSeen = true;
      continue;
    }
    CHECK_FALSE((cancelSeen && r.watch_id() == b));
    for (const auto& e : r.events()) {
      // Before the progress response only revisions it covers; after it none.
      if (!progressSeen) CHECK(e.kv().mod_revision() <= 6);
      if (progressSeen) CHECK(e.kv().mod_revision() > 6);
    }
  }
  CHECK(progressSeen);
  CHECK(cancelSeen);
  CHECK(revsOf(all, a) == range(2, 12));
  // b's queued events were dropped with its cancel, as before.
  for (int64_t rev : revsOf(all, b)) CHECK(rev <= 6);
}

TEST_CASE("watch: merged or not, a watcher's buffer counts revisions", "[watch][merge]") {
  HubConfig cfg = mergeAtOnce();
  cfg.watcherBufferResponses = 8;
  cfg.mergeBytes = GENERATE(std::size_t{0}, std::size_t{64 * 1024});
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  const int64_t id = mustCreate(*s, watchKey("k"));
  s->flush();
  sink.clear();
  for (int i = 0; i < 20; ++i) f.put("k", "v");  // 2..21
  // Past 8 revisions the watcher catches up later, merged or not.
  CHECK(f.hub->unsyncedCount() == 1);
  for (int round = 0; round < 1000; ++round) {
    s->flush();
    if (f.hub->syncUnsynced(0) == 0 && s->queuedResponses() == 0) break;
  }
  CHECK(revsOf(sink.all(), id) == range(2, 21));
}

TEST_CASE("watch: a stream less than mergeAfterBytes behind gets one response per revision",
          "[watch][merge]") {
  HubConfig cfg;
  cfg.mergeAfterBytes = 4096;
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  const int64_t id = mustCreate(*s, watchKey("k"));
  s->flush();
  sink.clear();
  // A few unread revisions, as etcd would send them: one response each.
  for (int i = 0; i < 5; ++i) f.put("k", "v");  // 2..6
  CHECK(s->queuedResponses() == 5);
  // Far behind (each ~1 KiB): past 4 KiB queued, revisions ride along.
  for (int i = 0; i < 40; ++i) f.put("k", std::string(1000, 'x'));  // 7..46
  CHECK(s->queuedResponses() < 15);
  s->flush();
  CHECK(revsOf(sink.all(), id) == range(2, 46));
}

TEST_CASE("watch: a catch-up from the recent log goes by reference, and later revisions join it",
          "[watch][merge]") {
  HubConfig cfg = mergeAtOnce();
  cfg.watcherBufferResponses = 4;
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  auto pp = watchKey("k", "l");
  pp.prevKv = true;
  const int64_t a = mustCreate(*s, pp);
  auto np = watchKey("k", "l");
  np.noPut = true;
  const int64_t b = mustCreate(*s, np);
  s->flush();
  sink.clear();
  // Four revisions fill a's buffer (merged, they still count one each), the
  // rest make it unsynced (b keeps only deletes, which are few).
  for (int i = 0; i < 12; ++i) {
    if (i % 4 == 3) {
      f.del("k" + std::to_string(i - 1));
    } else {
      f.put("k" + std::to_string(i), "v" + std::to_string(i));
    }
  }
  s->flush();  // drains the buffer, so the catch-up has room
  auto all = sink.all();
  sink.clear();
  f.syncAll();
  // Live revisions after the catch-up was queued merge into it: one
  // response for a holds the rest.
  f.put("k1", "after");
  f.put("k2", "after");
  s->flush();
  int fromA = 0;
  for (const auto& r : sink.all()) fromA += r.watch_id() == a ? 1 : 0;
  CHECK(fromA == 1);
  for (const auto& r : sink.all()) all.push_back(r);
  CHECK(revsOf(all, a) == range(2, 15));
  CHECK(revsOf(all, b) == std::vector<int64_t>{5, 9, 13});
  for (const auto& r : all) {
    for (const auto& e : r.events()) {
      // a asked for prev_kv, b did not; puts of fresh keys have none.
      if (r.watch_id() == b) CHECK_FALSE(e.has_prev_kv());
      if (r.watch_id() == a && e.type() == mvccpb::Event::DELETE) CHECK(e.has_prev_kv());
    }
  }
}
