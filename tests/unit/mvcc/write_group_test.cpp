// Write groups (KvStore::beginGroup / commitGroup): several applied
// entries' write transactions stored by one backend commit, published
// together, and read by the later transactions of the group.
#include "cairn/errors.h"
#include "test_util.h"

using namespace cairn;
using namespace cairn::mvcc;
using namespace cairn::mvcc::test;

namespace {

// Counts the store's backend commits (it observes each one's duration).
struct CommitCounter : Histogram {
  int commits = 0;
  void observe(double) override { ++commits; }
};

RangeResult rangeIn(WriteTxn& txn, const std::string& key, const std::string& end = "",
                    int64_t rev = 0) {
  RangeResult rr;
  RangeOptions ro;
  ro.rev = rev;
  Status s = txn.range(key, end, ro, &rr);
  INFO(s.message());
  REQUIRE(s.isOk());
  return rr;
}

}  // namespace

TEST_CASE("a write group stores its transactions in one commit and publishes them together",
          "[store][group]") {
  StoreFixture f;
  CommitCounter counter;
  f.store->observeCommits(&counter);
  f.put("before", "x", 0, 5);  // rev 2, one commit
  REQUIRE(counter.commits == 1);

  f.store->beginGroup();
  REQUIRE(f.store->grouping());
  CHECK(f.put("a", "1", 0, 6) == 3);
  CHECK(f.put("b", "2", 0, 7) == 4);
  CHECK(f.del("a") == 1);  // rev 5
  REQUIRE(f.store->setConsistentIndex(8).isOk());

  // Nothing of the group is stored or visible yet.
  CHECK(counter.commits == 1);
  CHECK(f.store->currentRevision() == 2);
  CHECK(f.store->consistentIndex() == 5);
  CHECK(f.keyBucketSize() == 1);
  CHECK(keysOf(f.get("", std::string(1, '\0'))) == "before,");
  CHECK(be64(*f.meta(kConsistentIndexKey)) == 5);

  REQUIRE(f.store->commitGroup().isOk());
  CHECK_FALSE(f.store->grouping());
  CHECK(counter.commits == 2);
  CHECK(f.store->currentRevision() == 5);
  CHECK(f.store->consistentIndex() == 8);
  CHECK(be64(*f.meta(kConsistentIndexKey)) == 8);
  CHECK(f.keyBucketSize() == 4);
  CHECK(keysOf(f.get("", std::string(1, '\0'))) == "b,before,");
  CHECK(f.get("a", "", 3).kvs.at(0).value() == "1");
  CHECK(f.store->liveKeyCount() == 2);

  // As after a restart: the same state from the backend alone.
  auto reopened = f.reopen();
  CHECK(reopened->currentRevision() == 5);
  CHECK(reopened->consistentIndex() == 8);
  CHECK(reopened->liveKeyCount() == 2);
}

TEST_CASE("a write transaction of a group reads what earlier ones staged", "[store][group]") {
  StoreFixture f;
  f.put("k", "old");  // rev 2, committed
  f.store->beginGroup();
  f.put("k", "v1");  // rev 3, staged
  f.put("j", "v2");  // rev 4, staged

  auto txn = f.store->write();
  CHECK(txn->rev() == 4);
  // Its own view: the staged values, with their versions.
  RangeResult rr = rangeIn(*txn, "j", "l");
  REQUIRE(rr.kvs.size() == 2);
  CHECK(rr.kvs[0].value() == "v2");
  CHECK(rr.kvs[1].value() == "v1");
  CHECK(rr.kvs[1].version() == 2);
  CHECK(rr.kvs[1].create_revision() == 2);
  // An older revision, staged or committed.
  CHECK(rangeIn(*txn, "k", "", 3).kvs.at(0).value() == "v1");
  CHECK(rangeIn(*txn, "k", "", 2).kvs.at(0).value() == "old");
  // A put counts on from the staged version; a delete's prev_kv is the
  // staged value.
  int64_t rev = 0;
  REQUIRE(txn->put("k", "v3", 0, &rev).isOk());
  CHECK(rev == 5);
  int64_t deleted = 0;
  REQUIRE(txn->deleteRange("j", "", &deleted, &rev).isOk());
  CHECK(deleted == 1);
  REQUIRE(txn->events().size() == 2);
  CHECK(txn->events()[0].kv().version() == 3);
  CHECK(txn->events()[1].prev_kv().value() == "v2");
  REQUIRE(txn->end(0).isOk());

  // Readers on other threads still see revision 2 until the commit.
  CHECK(f.get("k").kvs.at(0).value() == "old");
  REQUIRE(f.store->commitGroup().isOk());
  CHECK(f.store->currentRevision() == 5);
  auto kv = f.get("k").kvs.at(0);
  CHECK(kv.value() == "v3");
  CHECK(kv.version() == 3);
  CHECK(f.get("j").kvs.empty());
  CHECK(f.get("j", "", 4).kvs.at(0).value() == "v2");
}

TEST_CASE("a write group that changes nothing stores only its consistent index", "[store][group]") {
  StoreFixture f;
  CommitCounter counter;
  f.store->observeCommits(&counter);
  f.store->beginGroup();
  CHECK(f.del("missing") == 0);
  REQUIRE(f.store->commitGroup().isOk());
  CHECK(counter.commits == 0);
  CHECK(f.store->currentRevision() == 1);

  f.store->beginGroup();
  CHECK(f.del("missing") == 0);
  REQUIRE(f.store->setConsistentIndex(3).isOk());
  REQUIRE(f.store->commitGroup().isOk());
  CHECK(counter.commits == 1);
  CHECK(f.store->currentRevision() == 1);
  CHECK(f.store->consistentIndex() == 3);
  CHECK(be64(*f.meta(kConsistentIndexKey)) == 3);
  // A commit outside a group is a no-op.
  REQUIRE(f.store->commitGroup().isOk());
  CHECK(counter.commits == 1);
}

TEST_CASE("compaction is refused inside a write group", "[store][group]") {
  StoreFixture f;
  f.put("k", "1");
  f.store->beginGroup();
  f.put("k", "2");
  Status s = f.store->compact(2, 0);
  CHECK(s.code() == StatusCode::FailedPrecondition);
  REQUIRE(f.store->commitGroup().isOk());
  CHECK(f.store->compact(2, 0).isOk());
  CHECK(f.store->compactedRevision() == 2);
}
