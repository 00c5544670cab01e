// The storage backend contract (kernel/include/cairn/storage.h), run against
// every backend.
#include <atomic>
#include <thread>

#include "backend_fixtures.h"

using namespace cairn;
using namespace cairn::storage;
using namespace cairn::storage::test;

TEMPLATE_TEST_CASE("put get and delete", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  CHECK_FALSE(getOne(*b.backend, "key", "a").has_value());
  WriteBatch w;
  w.put("key", "a", "1");
  w.put("key", "b", "2");
  commitOk(*b.backend, w);
  CHECK(getOne(*b.backend, "key", "a") == "1");
  CHECK(getOne(*b.backend, "key", "b") == "2");

  w.clear();
  w.put("key", "a", "one");
  w.del("key", "b");
  w.del("key", "never-existed");
  w.del("no-such-bucket", "x");
  commitOk(*b.backend, w);
  CHECK(getOne(*b.backend, "key", "a") == "one");
  CHECK_FALSE(getOne(*b.backend, "key", "b").has_value());

  // Empty values are values, not deletions.
  w.clear();
  w.put("key", "empty", "");
  commitOk(*b.backend, w);
  CHECK(getOne(*b.backend, "key", "empty") == "");
  CHECK(b->persistent() == TestType::kPersistent);
  CHECK(b->sync().isOk());
}

TEMPLATE_TEST_CASE("delRange deletes the half-open range", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  for (const char* k : {"a", "b", "ba", "c", "d", "e"}) w.put("key", k, k);
  commitOk(*b.backend, w);

  w.clear();
  w.delRange("key", "b", "d");
  commitOk(*b.backend, w);
  CHECK(scan(*b.backend, "key") == Pairs{{"a", "a"}, {"d", "d"}, {"e", "e"}});

  // Empty end: to the end of the bucket.
  w.clear();
  w.delRange("key", "d", "");
  commitOk(*b.backend, w);
  CHECK(scan(*b.backend, "key") == Pairs{{"a", "a"}});

  // Empty ranges and missing buckets are no-ops.
  w.clear();
  w.delRange("key", "x", "y");
  w.delRange("missing", "a", "z");
  commitOk(*b.backend, w);
  CHECK(scan(*b.backend, "key") == Pairs{{"a", "a"}});
}

TEMPLATE_TEST_CASE("batch operations apply in order", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  w.put("key", "k", "1");
  w.del("key", "k");
  w.put("key", "k", "2");
  w.put("key", "gone", "x");
  w.delRange("key", "g", "h");
  w.delRange("key", "m", "n");
  w.put("key", "m1", "kept");
  w.put("key", "z", "first");
  w.put("key", "z", "second");
  commitOk(*b.backend, w);
  CHECK(scan(*b.backend, "key") == Pairs{{"k", "2"}, {"m1", "kept"}, {"z", "second"}});

  // An empty batch is fine.
  commitOk(*b.backend, WriteBatch{});
}

TEMPLATE_TEST_CASE("range forward reverse limits and bounds", "[contract]",
                   CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  for (int i = 0; i < 10; ++i) w.put("key", "k" + std::to_string(i), "v" + std::to_string(i));
  w.put("other", "k5", "not-me");
  commitOk(*b.backend, w);
  auto txn = b->beginRead();

  Pairs all = scan(*txn, "key");
  REQUIRE(all.size() == 10);
  CHECK(all.front().first == "k0");
  CHECK(all.back() == std::pair<std::string, std::string>{"k9", "v9"});

  CHECK(scan(*txn, "key", "k3", "k6") == Pairs{{"k3", "v3"}, {"k4", "v4"}, {"k5", "v5"}});
  CHECK(scan(*txn, "key", "k3", "k6", 0, true) == Pairs{{"k5", "v5"}, {"k4", "v4"}, {"k3", "v3"}});
  CHECK(scan(*txn, "key", "k3", "k6", 2) == Pairs{{"k3", "v3"}, {"k4", "v4"}});
  CHECK(scan(*txn, "key", "k3", "k6", 2, true) == Pairs{{"k5", "v5"}, {"k4", "v4"}});
  // Empty end = to the end of the bucket, both directions.
  CHECK(scan(*txn, "key", "k8", "") == Pairs{{"k8", "v8"}, {"k9", "v9"}});
  CHECK(scan(*txn, "key", "k8", "", 0, true) == Pairs{{"k9", "v9"}, {"k8", "v8"}});
  CHECK(scan(*txn, "key", "", "", 3, true) == Pairs{{"k9", "v9"}, {"k8", "v8"}, {"k7", "v7"}});
  // Bounds between keys, and begin past every key.
  CHECK(scan(*txn, "key", "k35", "k55") == Pairs{{"k4", "v4"}, {"k5", "v5"}});
  CHECK(scan(*txn, "key", "k35", "k55", 0, true) == Pairs{{"k5", "v5"}, {"k4", "v4"}});
  CHECK(scan(*txn, "key", "z", "").empty());
  CHECK(scan(*txn, "key", "z", "", 0, true).empty());
  CHECK(scan(*txn, "key", "k5", "k5").empty());
  CHECK(scan(*txn, "key", "", "k0").empty());
  CHECK(scan(*txn, "missing").empty());
  CHECK(scan(*txn, "missing", "", "", 0, true).empty());

  // The visitor stops the scan by returning false.
  int seen = 0;
  REQUIRE(txn->range("key", "", "", 0, false,
                     [&](std::string_view, std::string_view) { return ++seen < 4; })
              .isOk());
  CHECK(seen == 4);
}

TEMPLATE_TEST_CASE("range over many keys and deleted keys", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  char buf[16];
  for (int i = 0; i < 2000; ++i) {
    snprintf(buf, sizeof buf, "%05d", i);
    w.put("key", buf, buf);
  }
  commitOk(*b.backend, w);
  w.clear();
  for (int i = 0; i < 2000; i += 2) {
    snprintf(buf, sizeof buf, "%05d", i);
    w.del("key", buf);
  }
  commitOk(*b.backend, w);
  Pairs fwd = scan(*b.backend, "key");
  REQUIRE(fwd.size() == 1000);
  for (std::size_t i = 0; i < fwd.size(); ++i) {
    snprintf(buf, sizeof buf, "%05d", static_cast<int>(2 * i + 1));
    REQUIRE(fwd[i].first == buf);
  }
  Pairs rev = scan(*b.backend, "key", "", "", 0, true);
  REQUIRE(rev.size() == 1000);
  CHECK(rev.front().first == "01999");
  CHECK(rev.back().first == "00001");
  CHECK(scan(*b.backend, "key", "00500", "", 700).size() == 700);
}

TEMPLATE_TEST_CASE("read transactions see a snapshot", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  w.put("key", "a", "old");
  w.put("key", "b", "old");
  commitOk(*b.backend, w);

  auto before = b->beginRead();
  CHECK(before->get("key", "a") == "old");  // first read after the commit below must not matter
  w.clear();
  w.put("key", "a", "new");
  w.del("key", "b");
  w.put("key", "c", "new");
  commitOk(*b.backend, w);
  auto after = b->beginRead();

  CHECK(before->get("key", "a") == "old");
  CHECK(before->get("key", "b") == "old");
  CHECK_FALSE(before->get("key", "c").has_value());
  CHECK(scan(*before, "key") == Pairs{{"a", "old"}, {"b", "old"}});
  CHECK(scan(*after, "key") == Pairs{{"a", "new"}, {"c", "new"}});

  // A snapshot taken before any read still pins the state at its start.
  auto untouched = b->beginRead();
  w.clear();
  w.put("key", "a", "newer");
  commitOk(*b.backend, w);
  CHECK(untouched->get("key", "a") == "new");
  // Many commits later (garbage collection must not steal its versions).
  for (int i = 0; i < 50; ++i) {
    w.clear();
    w.put("key", "a", std::to_string(i));
    w.delRange("key", "c", "d");
    commitOk(*b.backend, w);
  }
  CHECK(before->get("key", "a") == "old");
  CHECK(untouched->get("key", "a") == "new");
  CHECK(untouched->get("key", "c") == "new");
  before.reset();
  untouched.reset();
  CHECK(getOne(*b.backend, "key", "a") == "49");
}

TEMPLATE_TEST_CASE("snapshots stay consistent while another thread commits", "[contract]",
                   CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  // Invariant of every batch i: a == b == i and the "c" prefix holds exactly c<i>.
  auto batchFor = [](int i) {
    WriteBatch w;
    w.put("key", "a", std::to_string(i));
    w.delRange("key", "c", "d");
    w.put("key", "c" + std::to_string(i), "x");
    w.put("key", "b", std::to_string(i));
    return w;
  };
  commitOk(*b.backend, batchFor(0));
  constexpr int kBatches = 400;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> checks{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto txn = b->beginRead();
      auto a1 = txn->get("key", "a");
      Pairs cs;
      Status st =
          txn->range("key", "c", "d", 0, false, [&](std::string_view k, std::string_view v) {
            cs.emplace_back(k, v);
            return true;
          });
      std::this_thread::yield();
      auto b1 = txn->get("key", "b");
      auto a2 = txn->get("key", "a");
      bool ok =
          st.isOk() && a1 && a1 == b1 && a1 == a2 && cs.size() == 1 && cs[0].first == "c" + *a1;
      if (!ok) failures.fetch_add(1);
      checks.fetch_add(1);
    }
  });
  for (int i = 1; i <= kBatches; ++i) commitOk(*b.backend, batchFor(i));
  // Let the reader see the final state at least once.
  int seen = checks.load();
  while (checks.load() < seen + 2) std::this_thread::yield();
  done = true;
  reader.join();
  CHECK(failures.load() == 0);
  CHECK(checks.load() > 0);
  CHECK(getOne(*b.backend, "key", "a") == std::to_string(kBatches));
}

TEMPLATE_TEST_CASE("buckets are independent", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  w.put(kKeyBucket, "x", "key");
  w.put(kMetaBucket, "x", "meta");
  w.put("plugin.auth-users", "x", "plugin");
  w.put("k", "x", "short-name");  // a bucket name that prefixes another
  w.put("ke", "yx", "prefix-trap");
  commitOk(*b.backend, w);
  CHECK(getOne(*b.backend, kKeyBucket, "x") == "key");
  CHECK(getOne(*b.backend, kMetaBucket, "x") == "meta");
  CHECK(getOne(*b.backend, "plugin.auth-users", "x") == "plugin");
  CHECK(scan(*b.backend, "k") == Pairs{{"x", "short-name"}});
  CHECK(scan(*b.backend, "ke") == Pairs{{"yx", "prefix-trap"}});
  CHECK(scan(*b.backend, "key") == Pairs{{"x", "key"}});

  w.clear();
  w.delRange(kKeyBucket, "", "");
  commitOk(*b.backend, w);
  CHECK_FALSE(getOne(*b.backend, kKeyBucket, "x").has_value());
  CHECK(getOne(*b.backend, kMetaBucket, "x") == "meta");
  CHECK(scan(*b.backend, "k") == Pairs{{"x", "short-name"}});
  CHECK(scan(*b.backend, "ke") == Pairs{{"yx", "prefix-trap"}});
}

TEMPLATE_TEST_CASE("binary keys order by memcmp", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  const std::string nul1("a\0b", 3), nul2("a\0\0", 3), nul3("a", 1), hi("\xff", 1), lo("\x01", 1),
      zero("\0", 1), val("v\0v", 3);
  WriteBatch w;
  for (const std::string& k : {hi, nul1, lo, nul2, nul3, zero}) w.put("key", k, val + k);
  commitOk(*b.backend, w);
  Pairs all = scan(*b.backend, "key");
  std::vector<std::string> keys;
  for (auto& [k, v] : all) {
    keys.push_back(k);
    CHECK(v == val + k);
  }
  CHECK(keys == std::vector<std::string>{zero, lo, nul3, nul2, nul1, hi});
  CHECK(getOne(*b.backend, "key", nul1) == val + nul1);
  CHECK_FALSE(getOne(*b.backend, "key", std::string("a\0", 2)).has_value());
  CHECK(scan(*b.backend, "key", nul3, nul1).size() == 2);  // "a", "a\0\0"
  CHECK(scan(*b.backend, "key", lo, "", 0, true).front().first == hi);
  w.clear();
  w.delRange("key", std::string("a\0", 2), hi);
  commitOk(*b.backend, w);
  keys.clear();
  for (auto& [k, v] : scan(*b.backend, "key")) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{zero, lo, nul3, hi});
}

TEMPLATE_TEST_CASE("large values", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + (i >> 9));
  WriteBatch w;
  w.put("key", "big", big);
  w.put("key", "big2", big + "tail");
  commitOk(*b.backend, w);
  CHECK(getOne(*b.backend, "key", "big") == big);
  Pairs all = scan(*b.backend, "key", "", "", 0, true);
  REQUIRE(all.size() == 2);
  CHECK(all[0].second == big + "tail");
  REQUIRE(b->sync().isOk());  // on-disk backends measure checkpointed data
  CHECK(b->sizeInUse() >= 2 * big.size());
  CHECK(b->sizeAllocated() > 0);
}

TEMPLATE_TEST_CASE("sizes and defragment", "[contract]", CAIRN_CONTRACT_FIXTURES) {
  Opened<TestType> b;
  WriteBatch w;
  for (int i = 0; i < 3000; ++i) w.put("key", "k" + std::to_string(i), std::string(200, 'x'));
  commitOk(*b.backend, w);
  REQUIRE(b->sync().isOk());
  uint64_t full = b->sizeInUse();
  CHECK(full >= 3000 * 200 / 4);  // compression may shrink it; not to nothing
  w.clear();
  w.delRange("key", "", "");
  commitOk(*b.backend, w);
  REQUIRE(b->sync().isOk());
  Status st = b->defragment();
  INFO(st.message());
  CHECK(st.isOk());
  CHECK(scan(*b.backend, "key").empty());
  CHECK(b->sizeInUse() < full);
  // Still usable after defragment.
  w.clear();
  w.put("key", "after", "defrag");
  commitOk(*b.backend, w);
  CHECK(getOne(*b.backend, "key", "after") == "defrag");
}
