#include "server/kv_applier.h"

#include <set>

#include "mvcc/test_util.h"

using namespace cairn;
using namespace cairn::server;
using namespace etcdserverpb;
using cairn::mvcc::test::StoreFixture;

namespace {

const std::string kNul(1, '\0');

struct ApplierFixture : StoreFixture {
  std::set<int64_t> leases{100};
  KvApplier applier{*store, [this](int64_t id) { return leases.count(id) != 0; }};
  uint64_t index = 0;

  int64_t put(const std::string& k, const std::string& v, int64_t lease = 0) {
    PutRequest req;
    req.set_key(k);
    req.set_value(v);
    req.set_lease(lease);
    PutResponse resp;
    Status s = applier.put(req, &resp, ++index);
    INFO(s.message());
    REQUIRE(s.isOk());
    return resp.header().revision();
  }

  RangeResponse range(const RangeRequest& req) {
    RangeResponse resp;
    Status s = applier.range(req, &resp);
    INFO(s.message());
    REQUIRE(s.isOk());
    return resp;
  }

  Status txn(const TxnRequest& req, TxnResponse* resp, std::vector<mvccpb::Event>* ev = nullptr) {
    return applier.txn(req, resp, ++index, ev);
  }
};

RangeRequest rangeReq(const std::string& k, const std::string& end = "") {
  RangeRequest r;
  r.set_key(k);
  r.set_range_end(end);
  return r;
}

std::string keys(const RangeResponse& r) {
  std::string s;
  for (const auto& kv : r.kvs()) s += kv.key() + ",";
  return s;
}

Compare cmp(const std::string& key, Compare::CompareTarget target, Compare::CompareResult result) {
  Compare c;
  c.set_key(key);
  c.set_target(target);
  c.set_result(result);
  return c;
}

RequestOp putOp(const std::string& k, const std::string& v) {
  RequestOp op;
  op.mutable_request_put()->set_key(k);
  op.mutable_request_put()->set_value(v);
  return op;
}

RequestOp rangeOp(const std::string& k, const std::string& end = "") {
  RequestOp op;
  *op.mutable_request_range() = rangeReq(k, end);
  return op;
}

RequestOp delOp(const std::string& k, const std::string& end = "") {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(k);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}

}  // namespace

TEST_CASE("applier range: sort, limit/more, count, keys_only, revision", "[applier]") {
  ApplierFixture f;
  // key: a b c d ; create revs 2 3 4 5 ; values z y x w ; versions 1 3 1 2
  f.put("a", "z");
  f.put("b", "y0");
  f.put("c", "x");
  f.put("d", "w0");
  f.put("b", "y1");
  f.put("b", "y");
  f.put("d", "w");  // rev 8
  auto all = rangeReq("a", "e");

  auto r = f.range(all);
  CHECK(keys(r) == "a,b,c,d,");
  CHECK(r.count() == 4);
  CHECK_FALSE(r.more());
  CHECK(r.header().revision() == 8);

  auto lim = all;
  lim.set_limit(2);
  r = f.range(lim);
  CHECK(keys(r) == "a,b,");
  CHECK(r.more());
  CHECK(r.count() == 4);
  lim.set_limit(4);
  CHECK_FALSE(f.range(lim).more());

  auto sorted = all;
  sorted.set_sort_order(RangeRequest::DESCEND);
  CHECK(keys(f.range(sorted)) == "d,c,b,a,");
  sorted.set_sort_target(RangeRequest::VALUE);
  sorted.set_sort_order(RangeRequest::ASCEND);
  CHECK(keys(f.range(sorted)) == "d,c,b,a,");
  sorted.set_sort_target(RangeRequest::VERSION);
  sorted.set_sort_order(RangeRequest::DESCEND);
  CHECK(keys(f.range(sorted)) == "b,d,a,c,");  // ties keep key order
  sorted.set_sort_target(RangeRequest::CREATE);
  CHECK(keys(f.range(sorted)) == "d,c,b,a,");
  sorted.set_sort_target(RangeRequest::MOD);
  sorted.set_sort_order(RangeRequest::ASCEND);
  CHECK(keys(f.range(sorted)) == "a,c,b,d,");
  // A target other than KEY with order NONE sorts ascending.
  sorted.set_sort_order(RangeRequest::NONE);
  sorted.set_sort_target(RangeRequest::VALUE);
  CHECK(keys(f.range(sorted)) == "d,c,b,a,");
  // etcd's quirk: only an explicit sort order disables the fetch limit, so a
  // non-KEY target with order NONE sorts just the first limit+1 keys (a, b).
  sorted.set_limit(1);
  r = f.range(sorted);
  CHECK(keys(r) == "b,");
  CHECK(r.more());
  CHECK(r.count() == 4);
  // With an explicit order, sort everything then truncate.
  sorted.set_sort_order(RangeRequest::ASCEND);
  r = f.range(sorted);
  CHECK(keys(r) == "d,");
  CHECK(r.more());

  auto ko = all;
  ko.set_keys_only(true);
  r = f.range(ko);
  REQUIRE(r.kvs_size() == 4);
  CHECK(r.kvs(0).value().empty());
  CHECK(r.kvs(0).mod_revision() == 2);

  auto co = all;
  co.set_count_only(true);
  r = f.range(co);
  CHECK(r.kvs_size() == 0);
  CHECK(r.count() == 4);

  auto old = all;
  old.set_revision(4);
  r = f.range(old);
  CHECK(keys(r) == "a,b,c,");
  CHECK(r.kvs(1).value() == "y0");
  CHECK(r.header().revision() == 8);

  CHECK(keys(f.range(rangeReq("b", kNul))) == "b,c,d,");
  CHECK(keys(f.range(rangeReq(kNul, kNul))) == "a,b,c,d,");
}

TEST_CASE("applier range: min/max revision filters apply after fetching", "[applier]") {
  ApplierFixture f;
  f.put("a", "1");  // 2
  f.put("b", "1");  // 3
  f.put("c", "1");  // 4
  f.put("a", "2");  // 5
  auto req = rangeReq("a", "z");
  req.set_min_mod_revision(4);
  auto r = f.range(req);
  CHECK(keys(r) == "a,c,");
  CHECK(r.count() == 3);  // count is before filtering, as in etcd
  req = rangeReq("a", "z");
  req.set_max_mod_revision(3);
  CHECK(keys(f.range(req)) == "b,");
  req = rangeReq("a", "z");
  req.set_min_create_revision(3);
  CHECK(keys(f.range(req)) == "b,c,");
  req = rangeReq("a", "z");
  req.set_max_create_revision(2);
  CHECK(keys(f.range(req)) == "a,");
  // Filters disable the fetch limit; `more` reflects the filtered list.
  req = rangeReq("a", "z");
  req.set_min_mod_revision(3);
  req.set_limit(1);
  r = f.range(req);
  CHECK(keys(r) == "a,");
  CHECK(r.more());
}

TEST_CASE("applier range: revision errors", "[applier]") {
  ApplierFixture f;
  f.put("a", "1");
  f.put("a", "2");
  f.put("a", "3");  // 4
  auto req = rangeReq("a");
  req.set_revision(5);
  RangeResponse resp;
  Status s = f.applier.range(req, &resp);
  CHECK(s.code() == StatusCode::OutOfRange);
  CHECK(s.message() == "etcdserver: mvcc: required revision is a future revision");
  CompactionRequest creq;
  creq.set_revision(3);
  CompactionResponse cresp;
  REQUIRE(f.applier.compaction(creq, &cresp, ++f.index).isOk());
  CHECK(cresp.header().revision() == 4);
  req.set_revision(2);
  s = f.applier.range(req, &resp);
  CHECK(s.code() == StatusCode::OutOfRange);
  CHECK(s.message() == "etcdserver: mvcc: required revision has been compacted");
  req.set_revision(3);
  CHECK(f.range(req).kvs(0).value() == "2");
  // Compacting again at or below is an error, as is a future revision.
  s = f.applier.compaction(creq, &cresp, ++f.index);
  CHECK(s.message() == "etcdserver: mvcc: required revision has been compacted");
  creq.set_revision(9);
  s = f.applier.compaction(creq, &cresp, ++f.index);
  CHECK(s.message() == "etcdserver: mvcc: required revision is a future revision");
}

TEST_CASE("applier put: prev_kv, ignore_value, ignore_lease, leases", "[applier]") {
  ApplierFixture f;
  PutRequest req;
  req.set_key("k");
  req.set_value("v1");
  req.set_lease(100);
  req.set_prev_kv(true);
  PutResponse resp;
  std::vector<mvccpb::Event> ev;
  REQUIRE(f.applier.put(req, &resp, 1, &ev).isOk());
  CHECK(resp.header().revision() == 2);
  CHECK_FALSE(resp.has_prev_kv());
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kv().lease() == 100);
  CHECK(f.store->consistentIndex() == 1);

  req.set_value("v2");
  req.set_lease(0);
  resp.Clear();
  REQUIRE(f.applier.put(req, &resp, 2).isOk());
  CHECK(resp.prev_kv().value() == "v1");
  CHECK(resp.prev_kv().lease() == 100);
  CHECK(resp.header().revision() == 3);

  PutRequest iv;
  iv.set_key("k");
  iv.set_ignore_value(true);
  iv.set_lease(100);
  resp.Clear();
  REQUIRE(f.applier.put(iv, &resp, 3).isOk());
  auto kv = f.range(rangeReq("k")).kvs(0);
  CHECK(kv.value() == "v2");
  CHECK(kv.lease() == 100);
  CHECK(kv.version() == 3);

  PutRequest il;
  il.set_key("k");
  il.set_value("v4");
  il.set_ignore_lease(true);
  REQUIRE(f.applier.put(il, &resp, 4).isOk());
  kv = f.range(rangeReq("k")).kvs(0);
  CHECK(kv.value() == "v4");
  CHECK(kv.lease() == 100);

  const int64_t rev = f.store->currentRevision();
  iv.set_key("missing");
  Status s = f.applier.put(iv, &resp, 5);
  CHECK(s.code() == StatusCode::InvalidArgument);
  CHECK(s.message() == "etcdserver: key not found");
  il.set_key("missing");
  CHECK(f.applier.put(il, &resp, 6).message() == "etcdserver: key not found");

  PutRequest bad;
  bad.set_key("x");
  bad.set_lease(555);
  s = f.applier.put(bad, &resp, 7);
  CHECK(s.code() == StatusCode::NotFound);
  CHECK(s.message() == "etcdserver: requested lease not found");
  CHECK(f.store->currentRevision() == rev);  // failures write nothing
}

TEST_CASE("applier deleteRange: counts, prev_kvs, no-op revision", "[applier]") {
  ApplierFixture f;
  f.put("a", "1");
  f.put("b", "2");
  f.put("c", "3");  // 4
  DeleteRangeRequest req;
  req.set_key("x");
  DeleteRangeResponse resp;
  REQUIRE(f.applier.deleteRange(req, &resp, ++f.index).isOk());
  CHECK(resp.deleted() == 0);
  CHECK(resp.header().revision() == 4);
  CHECK(f.store->currentRevision() == 4);

  req.set_key("a");
  req.set_range_end("c");
  req.set_prev_kv(true);
  resp.Clear();
  std::vector<mvccpb::Event> ev;
  REQUIRE(f.applier.deleteRange(req, &resp, ++f.index, &ev).isOk());
  CHECK(resp.deleted() == 2);
  CHECK(resp.header().revision() == 5);
  REQUIRE(resp.prev_kvs_size() == 2);
  CHECK(resp.prev_kvs(1).value() == "2");
  CHECK(ev.size() == 2);
  CHECK(keys(f.range(rangeReq(kNul, kNul))) == "c,");
}

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
