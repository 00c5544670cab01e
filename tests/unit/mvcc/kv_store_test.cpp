#include <atomic>
#include <thread>

#include "cairn/errors.h"
#include "test_util.h"

using namespace cairn;
using namespace cairn::mvcc;
using cairn::mvcc::test::be64;
using cairn::mvcc::test::keysOf;
using cairn::mvcc::test::StoreFixture;

namespace {
const std::string kNul(1, '\0');
}

TEST_CASE("revision keys encode like etcd's", "[store]") {
  std::string b = revisionToBytes(Revision{0x0102, 3});
  REQUIRE(b.size() == 17);
  CHECK(b == std::string("\0\0\0\0\0\0\x01\x02_\0\0\0\0\0\0\0\x03", 17));
  CHECK(revisionToBytes(Revision{5, 1}, true).back() == 't');
  Revision r;
  REQUIRE(bytesToRevision(revisionToBytes(Revision{7, 9}, true), &r));
  CHECK(r == Revision{7, 9});
  CHECK(isTombstoneKey(revisionToBytes(Revision{7, 9}, true)));
  CHECK_FALSE(isTombstoneKey(revisionToBytes(Revision{7, 9})));
  CHECK(revisionToBytes(Revision{1, 300}) < revisionToBytes(Revision{2, 0}));
}

TEST_CASE("a fresh store is at revision 1 and puts count revisions", "[store]") {
  StoreFixture f;
  CHECK(f.store->currentRevision() == 1);
  CHECK(f.store->compactedRevision() == -1);
  CHECK(f.put("foo", "bar") == 2);
  CHECK(f.put("foo", "baz", 7) == 3);
  CHECK(f.store->currentRevision() == 3);
  auto rr = f.get("foo");
  REQUIRE(rr.kvs.size() == 1);
  CHECK(rr.rev == 3);
  CHECK(rr.count == 1);
  const auto& kv = rr.kvs[0];
  CHECK(kv.key() == "foo");
  CHECK(kv.value() == "baz");
  CHECK(kv.create_revision() == 2);
  CHECK(kv.mod_revision() == 3);
  CHECK(kv.version() == 2);
  CHECK(kv.lease() == 7);
}

TEST_CASE("delete writes a tombstone and version restarts", "[store]") {
  StoreFixture f;
  f.put("k", "1");         // 2
  f.put("k", "2");         // 3
  CHECK(f.del("k") == 1);  // 4
  CHECK(f.store->currentRevision() == 4);
  CHECK(f.get("k").kvs.empty());
  CHECK(f.put("k", "3") == 5);
  auto kv = f.get("k").kvs.at(0);
  CHECK(kv.create_revision() == 5);
  CHECK(kv.version() == 1);
  // The tombstone is in the key bucket, with its mark.
  auto t = f.backend->beginRead()->get(storage::kKeyBucket, revisionToBytes(Revision{4, 0}, true));
  REQUIRE(t);
  mvccpb::KeyValue tomb;
  REQUIRE(tomb.ParseFromString(*t));
  CHECK(tomb.key() == "k");
  CHECK(tomb.mod_revision() == 0);
}

TEST_CASE("deleting nothing and empty txns do not bump the revision", "[store]") {
  StoreFixture f;
  f.put("a", "1");
  CHECK(f.del("zzz") == 0);
  CHECK(f.del("b", "c") == 0);
  CHECK(f.store->currentRevision() == 2);
  auto txn = f.store->write();
  int64_t n = -1, rev = 0;
  REQUIRE(txn->deleteRange("nope", "", &n, &rev).isOk());
  CHECK(n == 0);
  CHECK(rev == 2);
  REQUIRE(txn->end(0).isOk());
  CHECK(f.store->currentRevision() == 2);
}

TEST_CASE("one write txn is one revision with sub revisions", "[store]") {
  StoreFixture f;
  f.put("x", "old");  // 2
  auto txn = f.store->write();
  int64_t r1 = 0, r2 = 0, r3 = 0, n = 0, rd = 0;
  REQUIRE(txn->put("a", "1", 0, &r1).isOk());
  REQUIRE(txn->put("b", "2", 0, &r2).isOk());
  REQUIRE(txn->put("a", "3", 0, &r3).isOk());
  REQUIRE(txn->deleteRange("x", "", &n, &rd).isOk());
  CHECK(r1 == 3);
  CHECK(r2 == 3);
  CHECK(r3 == 3);
  CHECK(rd == 3);
  CHECK(n == 1);
  // Own writes are visible inside; nothing is visible outside yet.
  RangeResult in;
  REQUIRE(txn->range("a", "c", RangeOptions{}, &in).isOk());
  CHECK(keysOf(in) == "a,b,");
  CHECK(in.rev == 3);
  CHECK(in.kvs[0].value() == "3");
  CHECK(in.kvs[0].version() == 2);
  CHECK(in.kvs[0].create_revision() == 3);
  RangeResult hist;
  RangeOptions at2;
  at2.rev = 2;
  REQUIRE(txn->range("x", "", at2, &hist).isOk());
  CHECK(hist.kvs.size() == 1);
  CHECK(f.get("a").kvs.empty());
  CHECK(f.store->currentRevision() == 2);

  const auto& ev = txn->events();
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].type() == mvccpb::Event::PUT);
  // A PUT event never carries prev_kv (the watch hub reads it for the
  // watchers that want it, at mod_revision - 1 as etcd's watch does).
  CHECK_FALSE(ev[0].has_prev_kv());
  CHECK_FALSE(ev[2].has_prev_kv());
  CHECK(ev[2].kv().version() == 2);
  CHECK(ev[2].kv().create_revision() == 3);
  CHECK(ev[3].type() == mvccpb::Event::DELETE);
  CHECK(ev[3].kv().key() == "x");
  CHECK(ev[3].kv().mod_revision() == 3);
  CHECK(ev[3].prev_kv().value() == "old");
  REQUIRE(txn->end(0).isOk());

  CHECK(f.store->currentRevision() == 3);
  for (int sub = 0; sub < 3; ++sub) {
    CHECK(f.backend->beginRead()->get(storage::kKeyBucket, revisionToBytes(Revision{3, sub})));
  }
  CHECK(f.backend->beginRead()->get(storage::kKeyBucket, revisionToBytes(Revision{3, 3}, true)));
  auto a = f.get("a").kvs.at(0);
  CHECK(a.value() == "3");
  CHECK(a.version() == 2);
  CHECK(f.get("x").kvs.empty());
}

TEST_CASE("a write txn dropped without end changes nothing", "[store]") {
  StoreFixture f;
  {
    auto txn = f.store->write();
    int64_t rev = 0;
    REQUIRE(txn->put("a", "1", 0, &rev).isOk());
  }
  CHECK(f.store->currentRevision() == 1);
  CHECK(f.keyBucketSize() == 0);
  CHECK(f.put("a", "2") == 2);
  CHECK(f.get("a").kvs.at(0).version() == 1);
}

TEST_CASE("range options: ranges, limit, count, order", "[store]") {
  StoreFixture f;
  for (std::string k : {"d", "b", "a", "c", "e"}) f.put(k, "v" + k);
  CHECK(keysOf(f.get("a", "d")) == "a,b,c,");
  CHECK(keysOf(f.get("c", kNul)) == "c,d,e,");
  CHECK(keysOf(f.get(kNul, kNul)) == "a,b,c,d,e,");
  CHECK(keysOf(f.get("b")) == "b,");
  CHECK(f.get("zz").count == 0);
  auto lim = f.get("a", "z", 0, 2);
  CHECK(keysOf(lim) == "a,b,");
  CHECK(lim.count == 5);
  RangeResult cnt;
  RangeOptions ro;
  ro.countOnly = true;
  REQUIRE(f.store->range("a", "z", ro, &cnt).isOk());
  CHECK(cnt.kvs.empty());
  CHECK(cnt.count == 5);
  CHECK(cnt.rev == 6);
}

TEST_CASE("history reads and revision bounds", "[store]") {
  StoreFixture f;
  f.put("k", "v2");  // 2
  f.put("k", "v3");  // 3
  f.del("k");        // 4
  f.put("k", "v5");  // 5
  CHECK(f.get("k", "", 2).kvs.at(0).value() == "v2");
  CHECK(f.get("k", "", 3).kvs.at(0).value() == "v3");
  CHECK(f.get("k", "", 4).kvs.empty());
  CHECK(f.get("k", "", 5).kvs.at(0).value() == "v5");
  CHECK(f.get("k", "", 3).rev == 5);  // the header revision is the current one
  CHECK(f.get("k", "", 1).kvs.empty());
  RangeResult rr;
  RangeOptions ro;
  ro.rev = 6;
  Status s = f.store->range("k", "", ro, &rr);
  CHECK(s.code() == StatusCode::OutOfRange);
  CHECK(s.message() == "etcdserver: mvcc: required revision is a future revision");
}

TEST_CASE("compaction: bounds, reads and physical deletion", "[store][compaction]") {
  StoreFixture f;
  f.put("a", "1");  // 2
  f.put("a", "2");  // 3
  f.put("b", "1");  // 4
  f.del("b");       // 5
  f.put("a", "3");  // 6
  CHECK(f.keyBucketSize() == 5);

  CHECK(f.store->compact(7, 0).is(Error::FutureRev));
  REQUIRE(f.store->compact(5, 40).isOk());
  CHECK(f.store->compactedRevision() == 5);
  CHECK(f.store->consistentIndex() == 40);
  CHECK(f.store->hasPendingCompactions());
  // Logical compaction is immediate.
  RangeResult rr;
  RangeOptions ro;
  ro.rev = 4;
  Status s = f.store->range("a", "", ro, &rr);
  CHECK(s.code() == StatusCode::OutOfRange);
  CHECK(s.message() == "etcdserver: mvcc: required revision has been compacted");
  // Reading at exactly the compacted revision is allowed (etcd: rev < compact fails).
  CHECK(f.get("a", "", 5).kvs.at(0).value() == "2");
  CHECK(f.get("b", "", 5).kvs.empty());

  REQUIRE(f.store->runPendingCompactions().isOk());
  CHECK_FALSE(f.store->hasPendingCompactions());
  // Kept: a@3 (visible at 5) and a@6. Gone: a@2, b@4, b's tombstone @5.
  CHECK(f.keyBucketSize() == 2);
  CHECK(f.get("a", "", 5).kvs.at(0).value() == "2");
  CHECK(f.get("a").kvs.at(0).version() == 3);
  CHECK(be64(f.meta(kScheduledCompactKey).value().substr(0, 8)) == 5);
  CHECK(be64(f.meta(kFinishedCompactKey).value().substr(0, 8)) == 5);

  CHECK(f.store->compact(5, 0).is(Error::Compacted));
  CHECK(f.store->compact(3, 0).is(Error::Compacted));
  REQUIRE(f.store->compact(6, 0).isOk());
  REQUIRE(f.store->runPendingCompactions().isOk());
  CHECK(f.keyBucketSize() == 1);
}

TEST_CASE("compaction resumes after a crash between scheduled and finished",
          "[store][compaction]") {
  KvStore::Config small;
  small.compactionBatchLimit = 2;
  StoreFixture f(small);
  for (int i = 0; i < 10; ++i) f.put("k" + std::to_string(i % 3), std::to_string(i));  // 2..11
  const auto before = f.get("k0", "k9", 9);
  REQUIRE(f.keyBucketSize() == 10);

  SECTION("nothing deleted yet") {
    REQUIRE(f.store->compact(9, 0).isOk());
    // The process stops here: scheduled is recorded, finished is not.
    CHECK(f.meta(kScheduledCompactKey));
    CHECK_FALSE(f.meta(kFinishedCompactKey));
  }
  SECTION("part of the deletion done") {
    REQUIRE(f.store->compact(9, 0).isOk());
    bool finished = true;
    REQUIRE(f.store->runPendingCompactions(1, &finished).isOk());
    CHECK_FALSE(finished);
    CHECK(f.keyBucketSize() < 10);
    CHECK_FALSE(f.meta(kFinishedCompactKey));
  }
  auto restarted = f.reopen(small);
  CHECK(restarted->compactedRevision() == 9);
  CHECK(restarted->currentRevision() == 11);
  CHECK_FALSE(restarted->hasPendingCompactions());
  CHECK(be64(f.meta(kFinishedCompactKey).value().substr(0, 8)) == 9);
  // Revisions 9 (k1), 10 (k2), 11 (k0) and, visible at 9, k0@8 and k2@7.
  CHECK(f.keyBucketSize() == 5);
  RangeResult rr;
  RangeOptions ro;
  ro.rev = 9;
  REQUIRE(restarted->range("k0", "k9", ro, &rr).isOk());
  REQUIRE(rr.kvs.size() == before.kvs.size());
  for (std::size_t i = 0; i < rr.kvs.size(); ++i) {
    CHECK(rr.kvs[i].SerializeAsString() == before.kvs[i].SerializeAsString());
  }
}

TEST_CASE("restore rebuilds an identical index and state", "[store]") {
  StoreFixture f;
  f.put("a", "1");
  f.put("b", "1");
  {
    auto txn = f.store->write();
    int64_t r = 0, n = 0;
    REQUIRE(txn->put("c", "1", 0, &r).isOk());
    REQUIRE(txn->put("a", "2", 5, &r).isOk());
    REQUIRE(txn->deleteRange("b", "", &n, &r).isOk());
    REQUIRE(txn->put("b", "again", 0, &r).isOk());
    REQUIRE(txn->end(0).isOk());
  }
  f.del("c");
  f.put("c", "2");
  auto restarted = f.reopen();
  CHECK(restarted->currentRevision() == f.store->currentRevision());
  CHECK(restarted->compactedRevision() == -1);
  CHECK(restarted->indexSnapshot() == f.store->indexSnapshot());
  for (int64_t rev = 1; rev <= f.store->currentRevision(); ++rev) {
    RangeResult x, y;
    RangeOptions ro;
    ro.rev = rev;
    REQUIRE(f.store->range(kNul, kNul, ro, &x).isOk());
    REQUIRE(restarted->range(kNul, kNul, ro, &y).isOk());
    REQUIRE(x.kvs.size() == y.kvs.size());
    for (std::size_t i = 0; i < x.kvs.size(); ++i) {
      CHECK(x.kvs[i].SerializeAsString() == y.kvs[i].SerializeAsString());
    }
  }

  SECTION("after compaction too") {
    REQUIRE(f.store->compact(4, 0).isOk());
    REQUIRE(f.store->runPendingCompactions().isOk());
    auto again = f.reopen();
    CHECK(again->compactedRevision() == 4);
    CHECK(again->currentRevision() == f.store->currentRevision());
    for (int64_t rev = 4; rev <= f.store->currentRevision(); ++rev) {
      RangeResult x, y;
      RangeOptions ro;
      ro.rev = rev;
      REQUIRE(f.store->range(kNul, kNul, ro, &x).isOk());
      REQUIRE(again->range(kNul, kNul, ro, &y).isOk());
      REQUIRE(keysOf(x) == keysOf(y));
      for (std::size_t i = 0; i < x.kvs.size(); ++i) {
        CHECK(x.kvs[i].SerializeAsString() == y.kvs[i].SerializeAsString());
      }
    }
  }
}

TEST_CASE("restore after everything was deleted and compacted", "[store]") {
  StoreFixture f;
  f.put("a", "1");  // 2
  f.del("a");       // 3
  REQUIRE(f.store->compact(3, 0).isOk());
  REQUIRE(f.store->runPendingCompactions().isOk());
  CHECK(f.keyBucketSize() == 0);
  auto restarted = f.reopen();
  CHECK(restarted->currentRevision() == 3);
  CHECK(restarted->compactedRevision() == 3);
}

TEST_CASE("consistent index is stored with the write batch", "[store]") {
  StoreFixture f;
  CHECK(f.store->consistentIndex() == 0);
  f.put("a", "1", 0, 7);
  CHECK(f.store->consistentIndex() == 7);
  CHECK(be64(f.meta(kConsistentIndexKey).value()) == 7);
  // An entry that writes nothing still records its index.
  REQUIRE(f.store->setConsistentIndex(8).isOk());
  CHECK(be64(f.meta(kConsistentIndexKey).value()) == 8);
  // A txn that changes nothing records it in its (otherwise empty) batch.
  auto txn = f.store->write();
  int64_t n = 0, r = 0;
  REQUIRE(txn->deleteRange("none", "", &n, &r).isOk());
  REQUIRE(txn->end(9).isOk());
  CHECK(be64(f.meta(kConsistentIndexKey).value()) == 9);
  // Never moves back.
  REQUIRE(f.store->setConsistentIndex(3).isOk());
  CHECK(f.store->consistentIndex() == 9);
  auto restarted = f.reopen();
  CHECK(restarted->consistentIndex() == 9);
  CHECK(restarted->currentRevision() == 2);
}

TEST_CASE("other buckets ride in the write txn's batch", "[store]") {
  StoreFixture f;
  auto txn = f.store->write();
  txn->batch().put(storage::kLeaseBucket, "lease1", "x");
  int64_t r = 0;
  REQUIRE(txn->put("a", "1", 1, &r).isOk());
  REQUIRE(txn->end(3).isOk());
  CHECK(f.backend->beginRead()->get(storage::kLeaseBucket, "lease1") == std::string("x"));
}

TEST_CASE("history returns events in revision order", "[store]") {
  StoreFixture f;
  f.put("a", "1");  // 2
  f.put("b", "1");  // 3
  f.del("a");       // 4
  std::vector<mvccpb::Event> evs;
  int64_t next = 0;
  REQUIRE(f.store->history(2, 10, 0, &evs, &next).isOk());
  REQUIRE(evs.size() == 3);
  CHECK(evs[0].kv().key() == "a");
  CHECK(evs[2].type() == mvccpb::Event::DELETE);
  CHECK(evs[2].kv().mod_revision() == 4);
  CHECK(next == 5);
  evs.clear();
  REQUIRE(f.store->history(2, 10, 1, &evs, &next).isOk());
  CHECK(evs.size() == 1);
  CHECK(next == 3);
  REQUIRE(f.store->compact(3, 0).isOk());
  CHECK(f.store->history(2, 10, 0, &evs, &next).is(Error::Compacted));
}

TEST_CASE("reads are consistent while the apply thread writes", "[store][concurrency]") {
  StoreFixture f;
  {
    auto txn = f.store->write();
    int64_t rev = 0;
    REQUIRE(txn->put("a", "0", 0, &rev).isOk());
    REQUIRE(txn->put("b", "0", 0, &rev).isOk());
    REQUIRE(txn->end(0).isOk());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  auto reader = [&] {
    while (!stop.load()) {
      RangeResult rr;
      if (!f.store->range("a", "c", RangeOptions{}, &rr).isOk() || rr.kvs.size() != 2 ||
          rr.kvs[0].value() != rr.kvs[1].value() || rr.kvs[0].mod_revision() != rr.rev) {
        ++bad;
      }
      ++reads;
    }
  };
  std::thread r1(reader), r2(reader);
  while (reads.load() == 0) std::this_thread::yield();
  for (int i = 1; i <= 300; ++i) {
    auto txn = f.store->write();
    int64_t rev = 0;
    REQUIRE(txn->put("a", std::to_string(i), 0, &rev).isOk());
    REQUIRE(txn->put("b", std::to_string(i), 0, &rev).isOk());
    REQUIRE(txn->end(static_cast<uint64_t>(i)).isOk());
    if (i % 50 == 0) {
      REQUIRE(f.store->compact(f.store->currentRevision() - 1, 0).isOk());
      REQUIRE(f.store->runPendingCompactions().isOk());
    }
  }
  stop = true;
  r1.join();
  r2.join();
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
}
