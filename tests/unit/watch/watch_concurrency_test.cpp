// The hub under concurrency and at scale: writes racing catch-up, many
// watchers and many streams. Every watcher must see exactly the revisions it
// should, once each, in order.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "watch_test_util.h"

using namespace cairn;
using namespace cairn::watch;
using namespace cairn::watch::test;

namespace {

struct Spec {
  std::string key, end;  // end empty: single key
  int64_t start = 0;     // first revision expected
};

bool covers(const Spec& s, const std::string& k) {
  return s.end.empty() ? k == s.key : (k >= s.key && k < s.end);
}

// Writes one put outside Catch2 assertions (safe on any thread); returns its
// revision, or 0 on failure.
int64_t rawPut(HubFixture& f, const std::string& k, const std::string& v) {
  auto txn = f.store->write();
  int64_t rev = 0;
  if (!txn->put(k, v, 0, &rev).isOk() || !txn->end(0).isOk()) return 0;
  f.hub->notify(rev, txn->events());
  return rev;
}

std::string key3(int i) {
  char b[8];
  std::snprintf(b, sizeof b, "k%03d", i);
  return b;
}
std::string key2(int i) {
  char b[8];
  std::snprintf(b, sizeof b, "k%02d", i);
  return b;
}

// Checks that `got` is exactly the revisions of `keyAt` covered by `spec` from
// spec.start up to lastRev. Returns an empty string or a description.
std::string verify(const Spec& spec, const std::vector<Ev>& got,
                   const std::map<int64_t, std::string>& keyAt, int64_t lastRev) {
  std::size_t i = 0;
  for (auto it = keyAt.lower_bound(spec.start); it != keyAt.end() && it->first <= lastRev; ++it) {
    if (!covers(spec, it->second)) continue;
    if (i >= got.size()) return "missing rev " + std::to_string(it->first);
    if (std::get<0>(got[i]) != it->first || std::get<2>(got[i]) != it->second)
      return "expected rev " + std::to_string(it->first) + " got " +
             std::to_string(std::get<0>(got[i]));
    ++i;
  }
  if (i != got.size()) return "extra events from rev " + std::to_string(std::get<0>(got[i]));
  return "";
}

}  // namespace

TEST_CASE("watch: catch-up racing live writes has no gap and no duplicate",
          "[watch][concurrency]") {
  HubConfig cfg;
  cfg.watcherBufferResponses = 8;
  cfg.recentRevisions = 8;
  HubFixture f(cfg);
  RecordingSink sink;
  auto s = f.hub->newStream(sink);

  std::mutex modelMu;
  std::map<int64_t, std::string> keyAt;  // guarded by modelMu
  std::atomic<bool> writing{true}, stop{false}, failed{false};
  const int kWrites = 3000;

  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      std::string k = "k" + std::to_string(i % 10);
      {
        // The model must know a revision before any watcher can receive it.
        std::lock_guard l(modelMu);
        int64_t rev = rawPut(f, k, std::to_string(i));
        if (rev == 0) failed = true;
        keyAt[rev] = k;
      }
      if (i % 64 == 0) std::this_thread::yield();
    }
    writing = false;
  });
  std::thread syncer([&] {
    while (!stop) {
      if (f.hub->syncUnsynced(25) == 0) std::this_thread::yield();
    }
  });
  std::thread consumer([&] {
    while (!stop) {
      if (s->flush(16) == 0) std::this_thread::yield();
    }
  });

  std::map<int64_t, Spec> specs;
  std::mt19937 rng(7);
  while (writing) {
    int64_t cur = f.hub->currentRevision();
    Spec sp;
    if (rng() % 2) {
      sp.key = "k" + std::to_string(rng() % 10);
    } else {
      sp.key = "k";
      sp.end = "l";
    }
    sp.start = std::max<int64_t>(2, cur - static_cast<int64_t>(rng() % 300));
    int64_t id = -1;
    REQUIRE(s->create(watchKey(sp.key, sp.end, sp.start), &id).isOk());
    specs[id] = sp;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  writer.join();
  stop = true;
  syncer.join();
  consumer.join();
  REQUIRE_FALSE(failed);
  for (int round = 0; round < 100000; ++round) {
    s->flush();
    if (f.hub->syncUnsynced(0) == 0 && s->queuedResponses() == 0) break;
  }
  REQUIRE(f.hub->unsyncedCount() == 0);
  REQUIRE(specs.size() > 5);
  auto by = eventsById(sink.all());
  const int64_t last = f.store->currentRevision();
  for (auto& [id, sp] : specs) {
    INFO("watcher " << id << " " << sp.key << ".." << sp.end << " from " << sp.start);
    REQUIRE(verify(sp, by[id], keyAt, last) == "");
  }
}

TEST_CASE("watch: 10,000 watchers on one stream", "[watch][scale]") {
  HubFixture f;
  RecordingSink sink;
  auto s = f.hub->newStream(sink);
  std::map<int64_t, Spec> specs;
  for (int i = 0; i < 10000; ++i) {
    Spec sp;
    if (i % 2 == 0) {
      sp.key = key3((i / 2) % 1000);
    } else {
      int p = (i / 2) % 100;
      sp.key = key2(p);
      sp.end = key2(p + 1);
      if (p == 99) sp.end = "l";
    }
    sp.start = 2;
    specs[mustCreate(*s, watchKey(sp.key, sp.end))] = sp;
  }
  REQUIRE(f.hub->watcherCount() == 10000);
  std::map<int64_t, std::string> keyAt;
  std::mt19937 rng(1);
  for (int i = 0; i < 1000; ++i) {
    std::string k = key3(static_cast<int>(rng() % 1000));
    keyAt[rawPut(f, k, "v")] = k;
    if (i % 20 == 0) s->flush();
  }
  s->flush();
  REQUIRE(f.hub->unsyncedCount() == 0);
  auto by = eventsById(sink.all());
  const int64_t last = f.store->currentRevision();
  for (auto& [id, sp] : specs) {
    INFO("watcher " << id);
    REQUIRE(verify(sp, by[id], keyAt, last) == "");
  }
}

TEST_CASE("watch: 1,000 streams x 10 watchers", "[watch][scale]") {
  HubFixture f;
  const int kStreams = 1000;
  std::vector<std::unique_ptr<RecordingSink>> sinks;
  std::vector<std::shared_ptr<WatchStream>> streams;
  std::vector<std::map<int64_t, Spec>> specs(kStreams);
  for (int si = 0; si < kStreams; ++si) {
    sinks.push_back(std::make_unique<RecordingSink>());
    streams.push_back(f.hub->newStream(*sinks.back()));
    for (int j = 0; j < 10; ++j) {
      Spec sp;
      if (j < 8) {
        sp.key = key3((si * 7 + j) % 1000);
      } else {
        int p = (si + j) % 99;
        sp.key = key2(p);
        sp.end = key2(p + 1);
      }
      sp.start = 2;
      specs[si][mustCreate(*streams.back(), watchKey(sp.key, sp.end))] = sp;
    }
  }
  std::map<int64_t, std::string> keyAt;
  std::mt19937 rng(2);
  for (int i = 0; i < 1000; ++i) {
    std::string k = key3(static_cast<int>(rng() % 1000));
    keyAt[rawPut(f, k, "v")] = k;
    if (i % 50 == 0)
      for (auto& st : streams) st->flush();
  }
  for (auto& st : streams) st->flush();
  REQUIRE(f.hub->unsyncedCount() == 0);
  const int64_t last = f.store->currentRevision();
  for (int si = 0; si < kStreams; ++si) {
    auto by = eventsById(sinks[si]->all());
    for (auto& [id, sp] : specs[si]) {
      INFO("stream " << si << " watcher " << id);
      REQUIRE(verify(sp, by[id], keyAt, last) == "");
    }
  }
}

namespace {

// A client that reads slowly: every send() takes a while.
struct SlowSink : RecordingSink {
  void send(etcdserverpb::WatchResponse&& r) override {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    RecordingSink::send(std::move(r));
  }
};

}  // namespace

TEST_CASE("watch: a slow client never slows notify and gets every event once, in order",
          "[watch][concurrency]") {
  HubConfig cfg;
  cfg.watcherBufferResponses = 16;
  cfg.recentRevisions = 32;
  HubFixture f(cfg);
  SlowSink slow;
  RecordingSink fast;
  auto ss = f.hub->newStream(slow);
  auto fs = f.hub->newStream(fast);
  auto p = watchKey("k", "l");
  p.prevKv = true;
  int64_t slowId = mustCreate(*ss, p);
  int64_t fastId = mustCreate(*fs, p);

  std::atomic<bool> stop{false};
  std::thread syncer([&] {
    while (!stop)
      if (f.hub->syncUnsynced(100) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  std::thread reader([&] {
    while (!stop)
      if (ss->flush(8) == 0) std::this_thread::yield();
  });

  std::map<int64_t, std::string> keyAt;
  const int kWrites = 2000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kWrites; ++i) {
    std::string k = "k" + std::to_string(i % 13);
    int64_t rev = rawPut(f, k, std::to_string(i));
    REQUIRE(rev != 0);
    keyAt[rev] = k;
    if (i % 100 == 0) fs->flush();
  }
  auto writeTime = std::chrono::steady_clock::now() - t0;
  // 2000 responses at 300 us each would take >= 600 ms if notify waited for
  // the slow client; the slow watcher must have fallen behind instead.
  CHECK(slow.all().size() < static_cast<std::size_t>(kWrites));
  CHECK(writeTime < std::chrono::seconds(5));

  stop = true;
  syncer.join();
  reader.join();
  for (int round = 0; round < 100000; ++round) {
    ss->flush();
    fs->flush();
    if (f.hub->syncUnsynced(0) == 0 && ss->queuedResponses() == 0 && fs->queuedResponses() == 0)
      break;
  }
  REQUIRE(f.hub->unsyncedCount() == 0);
  const int64_t last = f.store->currentRevision();
  Spec sp{"k", "l", 2};
  auto slowBy = eventsById(slow.all());
  auto fastBy = eventsById(fast.all());
  REQUIRE(verify(sp, slowBy[slowId], keyAt, last) == "");
  REQUIRE(verify(sp, fastBy[fastId], keyAt, last) == "");
  int withPrev = 0;
  for (const auto& r : slow.all())
    for (const auto& e : r.events()) withPrev += e.has_prev_kv() ? 1 : 0;
  CHECK(withPrev == kWrites - 13);
}
