// The KV applier: range, put and deleteRange with etcd's semantics.
#include "server/kv_applier.h"

#include "kv_applier_test_util.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::test;
using namespace etcdserverpb;

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
