// Shared fixtures of watch_test: a KvStore on a fresh in-memory backend whose
// writes are fed to a WatchHub, and a sink that records what a client sees.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "mvcc/kv_store.h"
#include "mvcc/read_txn.h"
#include "mvcc/write_txn.h"
#include "storage-memory/memory_backend.h"
#include "watch/watch_hub.h"

namespace cairn::watch::test {

struct RecordingSink : WatchSink {
  mutable std::mutex mu;
  std::vector<etcdserverpb::WatchResponse> got;  // guarded by mu
  int readyCalls = 0;                            // guarded by mu

  void onReady() override {
    std::lock_guard l(mu);
    ++readyCalls;
  }
  void send(etcdserverpb::WatchResponse&& r) override {
    std::lock_guard l(mu);
    got.push_back(std::move(r));
  }
  std::vector<etcdserverpb::WatchResponse> all() const {
    std::lock_guard l(mu);
    return got;
  }
  void clear() {
    std::lock_guard l(mu);
    got.clear();
  }
};

// (revision, type, key) of one delivered event.
using Ev = std::tuple<int64_t, int, std::string>;

// Events per watch id, in arrival order.
inline std::map<int64_t, std::vector<Ev>> eventsById(
    const std::vector<etcdserverpb::WatchResponse>& rs) {
  std::map<int64_t, std::vector<Ev>> out;
  for (const auto& r : rs)
    for (const auto& e : r.events())
      out[r.watch_id()].emplace_back(e.kv().mod_revision(), static_cast<int>(e.type()),
                                     e.kv().key());
  return out;
}

struct HubFixture {
  std::unique_ptr<storage::MemoryBackend> backend = std::make_unique<storage::MemoryBackend>();
  std::unique_ptr<mvcc::KvStore> store;
  std::unique_ptr<WatchHub> hub;

  explicit HubFixture(HubConfig config = {}) {
    REQUIRE(backend->open(storage::Options{}).isOk());
    store = std::make_unique<mvcc::KvStore>(*backend);
    REQUIRE(store->restore().isOk());
    mvcc::KvStore* st = store.get();
    hub = std::make_unique<WatchHub>(
        store->currentRevision(),
        [st](int64_t from, int64_t to, std::size_t limit, std::vector<mvccpb::Event>* out,
             int64_t* next) { return st->history(from, to, limit, out, next); },
        [st](const std::string& key, int64_t rev, mvccpb::KeyValue* out) {
          mvcc::RangeResult rr;
          mvcc::RangeOptions ro;
          ro.rev = rev;
          if (!st->range(key, "", ro, &rr).isOk() || rr.kvs.empty()) return false;
          *out = rr.kvs[0];
          return true;
        },
        [st] { return st->compactedRevision(); }, config);
  }

  int64_t put(const std::string& k, const std::string& v) {
    auto txn = store->write();
    int64_t rev = 0;
    REQUIRE(txn->put(k, v, 0, &rev).isOk());
    REQUIRE(txn->end(0).isOk());
    hub->notify(rev, txn->events());
    return rev;
  }

  int64_t del(const std::string& k, const std::string& end = "") {
    auto txn = store->write();
    int64_t n = 0, rev = 0;
    REQUIRE(txn->deleteRange(k, end, &n, &rev).isOk());
    REQUIRE(txn->end(0).isOk());
    if (txn->hasChanges()) hub->notify(rev, txn->events());
    return rev;
  }

  // Runs catch-up rounds until every watcher is synced.
  void syncAll(std::size_t limit = 0) {
    for (int i = 0; i < 100000 && hub->syncUnsynced(limit) > 0; ++i) {
    }
    REQUIRE(hub->unsyncedCount() == 0);
  }
};

inline CreateParams watchKey(std::string key, std::string end = "", int64_t start = 0) {
  CreateParams p;
  p.key = std::move(key);
  p.rangeEnd = std::move(end);
  p.startRevision = start;
  return p;
}

inline int64_t mustCreate(WatchStream& s, const CreateParams& p) {
  int64_t id = -2;
  Status st = s.create(p, &id);
  INFO(st.message());
  REQUIRE(st.isOk());
  return id;
}

}  // namespace cairn::watch::test
