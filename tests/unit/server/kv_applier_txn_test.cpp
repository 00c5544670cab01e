// The KV applier: txn compares, revisions, nesting and read-only txns.
#include "kv_applier_test_util.h"
#include "server/kv_applier.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::test;
using namespace etcdserverpb;

TEST_CASE("applier txn: compares on every target and result", "[applier]") {
  ApplierFixture f;
  f.put("k", "m");       // 2
  f.put("k", "m", 100);  // 3: version 2, create 2, mod 3, lease 100

  struct Case {
    Compare c;
    bool want;
  };
  auto withValue = [](Compare c, const std::string& v) {
    c.set_value(v);
    return c;
  };
  auto withInt = [](Compare c, int64_t v) {
    switch (c.target()) {
      case Compare::VERSION:
        c.set_version(v);
        break;
      case Compare::CREATE:
        c.set_create_revision(v);
        break;
      case Compare::MOD:
        c.set_mod_revision(v);
        break;
      case Compare::LEASE:
        c.set_lease(v);
        break;
      default:
        break;
    }
    return c;
  };
  std::vector<Case> cases = {
      {withValue(cmp("k", Compare::VALUE, Compare::EQUAL), "m"), true},
      {withValue(cmp("k", Compare::VALUE, Compare::GREATER), "a"), true},
      {withValue(cmp("k", Compare::VALUE, Compare::LESS), "a"), false},
      {withValue(cmp("k", Compare::VALUE, Compare::NOT_EQUAL), "m"), false},
      {withInt(cmp("k", Compare::VERSION, Compare::EQUAL), 2), true},
      {withInt(cmp("k", Compare::VERSION, Compare::GREATER), 1), true},
      {withInt(cmp("k", Compare::CREATE, Compare::EQUAL), 2), true},
      {withInt(cmp("k", Compare::CREATE, Compare::LESS), 2), false},
      {withInt(cmp("k", Compare::MOD, Compare::EQUAL), 3), true},
      {withInt(cmp("k", Compare::MOD, Compare::NOT_EQUAL), 3), false},
      {withInt(cmp("k", Compare::LEASE, Compare::EQUAL), 100), true},
      {withInt(cmp("k", Compare::LEASE, Compare::LESS), 100), false},
      // A missing key compares as zeros, but never on value.
      {withInt(cmp("nope", Compare::CREATE, Compare::EQUAL), 0), true},
      {withInt(cmp("nope", Compare::VERSION, Compare::EQUAL), 0), true},
      {withValue(cmp("nope", Compare::VALUE, Compare::EQUAL), ""), false},
      {withValue(cmp("nope", Compare::VALUE, Compare::NOT_EQUAL), "x"), false},
  };
  // Ranges in compares: every key must match.
  Compare rc = withInt(cmp("a", Compare::VERSION, Compare::GREATER), 0);
  rc.set_range_end("z");
  cases.push_back({rc, true});
  Compare rcAll = withInt(cmp("a", Compare::CREATE, Compare::EQUAL), 2);
  rcAll.set_range_end("z");
  f.put("l", "other");  // 4: now "l" in [a, z) has create revision 4
  cases.push_back({rcAll, false});
  Compare fromKey = withInt(cmp("a", Compare::MOD, Compare::GREATER), 0);
  fromKey.set_range_end(kNul);
  cases.push_back({fromKey, true});

  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    TxnRequest t;
    *t.add_compare() = cases[i].c;
    *t.add_success() = rangeOp("k");
    TxnResponse resp;
    REQUIRE(f.applier.readOnlyTxn(t, &resp).isOk());
    CHECK(resp.succeeded() == cases[i].want);
    CHECK(resp.responses_size() == (cases[i].want ? 1 : 0));
    CHECK(resp.header().revision() == f.store->currentRevision());
  }
}

TEST_CASE("applier txn: one revision, own writes visible, nested txns", "[applier]") {
  ApplierFixture f;
  f.put("k", "v");  // 2
  TxnRequest t;
  *t.add_compare() = [] {
    Compare c = cmp("k", Compare::VALUE, Compare::EQUAL);
    c.set_value("v");
    return c;
  }();
  *t.add_success() = putOp("a", "1");
  *t.add_success() = rangeOp("a");
  *t.add_success() = putOp("b", "2");
  *t.add_success() = delOp("k");
  RequestOp nested;
  // The nested compare sees the state before the txn: "a" does not exist.
  Compare nc = cmp("a", Compare::VERSION, Compare::EQUAL);
  nc.set_version(0);
  *nested.mutable_request_txn()->add_compare() = nc;
  *nested.mutable_request_txn()->add_success() = putOp("n", "then");
  *nested.mutable_request_txn()->add_failure() = putOp("n", "else");
  *t.add_success() = nested;
  *t.add_failure() = putOp("f", "x");

  TxnResponse resp;
  std::vector<mvccpb::Event> ev;
  REQUIRE(f.txn(t, &resp, &ev).isOk());
  CHECK(resp.succeeded());
  CHECK(resp.header().revision() == 3);
  REQUIRE(resp.responses_size() == 5);
  CHECK(resp.responses(0).response_put().header().revision() == 3);
  const auto& rr = resp.responses(1).response_range();
  REQUIRE(rr.kvs_size() == 1);
  CHECK(rr.kvs(0).value() == "1");
  CHECK(rr.header().revision() == 3);
  CHECK(resp.responses(3).response_delete_range().deleted() == 1);
  const auto& nt = resp.responses(4).response_txn();
  CHECK(nt.succeeded());
  CHECK(nt.has_header());
  CHECK(nt.header().revision() == 0);
  CHECK(nt.responses(0).response_put().header().revision() == 3);
  CHECK(f.range(rangeReq("n")).kvs(0).value() == "then");
  CHECK(f.store->currentRevision() == 3);
  CHECK(ev.size() == 4);
  CHECK(f.store->consistentIndex() == f.index);

  // The failure branch.
  TxnRequest t2 = t;
  TxnResponse resp2;
  REQUIRE(f.txn(t2, &resp2).isOk());
  CHECK_FALSE(resp2.succeeded());
  CHECK(resp2.header().revision() == 4);
  CHECK(f.range(rangeReq("f")).kvs(0).mod_revision() == 4);
}

TEST_CASE("applier txn: no change keeps the revision, checks fail the whole txn", "[applier]") {
  ApplierFixture f;
  f.put("k", "v");  // 2
  TxnRequest t;
  *t.add_success() = delOp("zzz");
  *t.add_success() = rangeOp("k");
  TxnResponse resp;
  REQUIRE(f.txn(t, &resp).isOk());
  CHECK(resp.header().revision() == 2);
  CHECK(resp.responses(0).response_delete_range().header().revision() == 2);
  CHECK(f.store->currentRevision() == 2);

  // Lease check before any op: nothing is written.
  TxnRequest withLease;
  *withLease.add_success() = putOp("a", "1");
  RequestOp bad = putOp("b", "1");
  bad.mutable_request_put()->set_lease(999);
  *withLease.add_success() = bad;
  resp.Clear();
  Status s = f.txn(withLease, &resp);
  CHECK(s.code() == StatusCode::NotFound);
  CHECK(s.message() == "etcdserver: requested lease not found");
  CHECK(f.range(rangeReq("a")).kvs_size() == 0);
  CHECK(f.store->currentRevision() == 2);

  TxnRequest ignore;
  RequestOp iv;
  iv.mutable_request_put()->set_key("missing");
  iv.mutable_request_put()->set_ignore_value(true);
  *ignore.add_success() = iv;
  s = f.txn(ignore, &resp);
  CHECK(s.message() == "etcdserver: key not found");

  TxnRequest future;
  RequestOp fr = rangeOp("k");
  fr.mutable_request_range()->set_revision(3);
  *future.add_success() = putOp("a", "1");
  *future.add_success() = fr;
  s = f.txn(future, &resp);
  CHECK(s.message() == "etcdserver: mvcc: required revision is a future revision");
  CHECK(f.store->currentRevision() == 2);
  s = f.applier.readOnlyTxn(future, &resp);
  CHECK(s.code() == StatusCode::FailedPrecondition);
}

TEST_CASE("applier txn read-only predicates", "[applier]") {
  TxnRequest t;
  *t.add_success() = rangeOp("a");
  CHECK(KvApplier::isTxnReadOnly(t));
  CHECK_FALSE(KvApplier::isTxnSerializable(t));
  t.mutable_success(0)->mutable_request_range()->set_serializable(true);
  CHECK(KvApplier::isTxnSerializable(t));
  *t.add_failure() = putOp("a", "1");
  CHECK_FALSE(KvApplier::isTxnReadOnly(t));
}
