// Shared fixtures of mvcc_test: a store over a fresh in-memory backend.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "kv_store.h"
#include "memory_backend.h"
#include "read_txn.h"
#include "write_txn.h"

namespace cairn::mvcc::test {

struct StoreFixture {
  std::unique_ptr<storage::MemoryBackend> backend = std::make_unique<storage::MemoryBackend>();
  std::unique_ptr<KvStore> store;

  explicit StoreFixture(KvStore::Config config = {}) {
    REQUIRE(backend->open(storage::Options{}).isOk());
    store = std::make_unique<KvStore>(*backend, config);
    REQUIRE(store->restore().isOk());
  }

  // A second store over the same backend, as after a restart.
  std::unique_ptr<KvStore> reopen(KvStore::Config config = {}) {
    auto s = std::make_unique<KvStore>(*backend, config);
    REQUIRE(s->restore().isOk());
    return s;
  }

  int64_t put(const std::string& k, const std::string& v, int64_t lease = 0, uint64_t ci = 0) {
    auto txn = store->write();
    int64_t rev = 0;
    REQUIRE(txn->put(k, v, lease, &rev).isOk());
    REQUIRE(txn->end(ci).isOk());
    return rev;
  }

  int64_t del(const std::string& k, const std::string& end = "") {
    auto txn = store->write();
    int64_t n = 0, rev = 0;
    REQUIRE(txn->deleteRange(k, end, &n, &rev).isOk());
    REQUIRE(txn->end(0).isOk());
    return n;
  }

  RangeResult get(const std::string& k, const std::string& end = "", int64_t rev = 0,
                  int64_t limit = 0) {
    RangeResult rr;
    RangeOptions ro;
    ro.rev = rev;
    ro.limit = limit;
    Status s = store->range(k, end, ro, &rr);
    INFO(s.message());
    REQUIRE(s.isOk());
    return rr;
  }

  std::size_t keyBucketSize() {
    std::size_t n = 0;
    auto txn = backend->beginRead();
    REQUIRE(txn->range(storage::kKeyBucket, "", "", 0, false,
                       [&](std::string_view, std::string_view) {
                         ++n;
                         return true;
                       })
                .isOk());
    return n;
  }

  std::optional<std::string> meta(std::string_view key) {
    return backend->beginRead()->get(storage::kMetaBucket, key);
  }
};

inline std::string keysOf(const RangeResult& rr) {
  std::string s;
  for (const auto& kv : rr.kvs) s += kv.key() + ",";
  return s;
}

inline uint64_t be64(const std::string& b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

}  // namespace cairn::mvcc::test
