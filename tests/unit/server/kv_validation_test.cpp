#include "server/kv_validation.h"

#include <catch2/catch.hpp>

using namespace cairn;
using namespace cairn::server;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

namespace {

void requireError(const Status& s, StatusCode code, const std::string& msg) {
  CHECK(s.code() == code);
  CHECK(s.message() == msg);
}

RequestOp putOp(const std::string& k) {
  RequestOp op;
  op.mutable_request_put()->set_key(k);
  return op;
}

RequestOp delOp(const std::string& k, const std::string& end = "") {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(k);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}

RequestOp txnOp(std::vector<RequestOp> then, std::vector<RequestOp> els = {}) {
  RequestOp op;
  for (auto& o : then) *op.mutable_request_txn()->add_success() = o;
  for (auto& o : els) *op.mutable_request_txn()->add_failure() = o;
  return op;
}

TxnRequest txnOf(std::vector<RequestOp> then, std::vector<RequestOp> els = {}) {
  TxnRequest t;
  for (auto& o : then) *t.add_success() = o;
  for (auto& o : els) *t.add_failure() = o;
  return t;
}

const std::string kDup = "etcdserver: duplicate key given in txn request";

}  // namespace

TEST_CASE("range, put and delete validation errors", "[validation]") {
  etcdserverpb::RangeRequest r;
  requireError(checkRangeRequest(r), StatusCode::InvalidArgument,
               "etcdserver: key is not provided");
  r.set_key("a");
  CHECK(checkRangeRequest(r).isOk());
  r.set_sort_target(static_cast<etcdserverpb::RangeRequest::SortTarget>(9));
  requireError(checkRangeRequest(r), StatusCode::InvalidArgument,
               "etcdserver: invalid sort option");
  // An unknown order sorts nothing, as in etcd: the target is then not used.
  r.set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(7));
  CHECK(checkRangeRequest(r).isOk());
  r.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
  requireError(checkRangeRequest(r), StatusCode::InvalidArgument,
               "etcdserver: invalid sort option");
  r.set_sort_target(etcdserverpb::RangeRequest::VALUE);
  r.set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(-1));
  CHECK(checkRangeRequest(r).isOk());

  etcdserverpb::PutRequest p;
  requireError(checkPutRequest(p), StatusCode::InvalidArgument, "etcdserver: key is not provided");
  p.set_key("a");
  p.set_value("v");
  p.set_ignore_value(true);
  requireError(checkPutRequest(p), StatusCode::InvalidArgument, "etcdserver: value is provided");
  p.set_value("");
  CHECK(checkPutRequest(p).isOk());
  p.set_ignore_lease(true);
  p.set_lease(5);
  requireError(checkPutRequest(p), StatusCode::InvalidArgument, "etcdserver: lease is provided");

  etcdserverpb::DeleteRangeRequest d;
  requireError(checkDeleteRequest(d), StatusCode::InvalidArgument,
               "etcdserver: key is not provided");
  d.set_key("a");
  CHECK(checkDeleteRequest(d).isOk());
}

TEST_CASE("txn op count and per-op validation", "[validation]") {
  TxnRequest t = txnOf({putOp("a"), putOp("b"), putOp("c")});
  CHECK(checkTxnRequest(t, 3).isOk());
  requireError(checkTxnRequest(t, 2), StatusCode::InvalidArgument,
               "etcdserver: too many operations in txn request");
  // Compares count too.
  TxnRequest c;
  for (int i = 0; i < 3; ++i) c.add_compare()->set_key("k");
  requireError(checkTxnRequest(c, 2), StatusCode::InvalidArgument,
               "etcdserver: too many operations in txn request");
  c.add_compare();  // empty key
  requireError(checkTxnRequest(c, 8), StatusCode::InvalidArgument,
               "etcdserver: key is not provided");
  // A nested txn gets what the parent left: 3 - 2 = 1 op.
  TxnRequest n = txnOf({putOp("a"), txnOp({putOp("b"), putOp("c")})});
  requireError(checkTxnRequest(n, 3), StatusCode::InvalidArgument,
               "etcdserver: too many operations in txn request");
  CHECK(checkTxnRequest(n, 4).isOk());
  // Ops are validated like their plain requests.
  requireError(checkTxnRequest(txnOf({putOp("")}), 8), StatusCode::InvalidArgument,
               "etcdserver: key is not provided");
  requireError(checkTxnRequest(txnOf({}, {delOp("")}), 8), StatusCode::InvalidArgument,
               "etcdserver: key is not provided");
  // An empty RequestOp is "key not found", as in etcd.
  requireError(checkTxnRequest(txnOf({RequestOp()}), 8), StatusCode::InvalidArgument,
               "etcdserver: key not found");
}

TEST_CASE("txn duplicate keys follow etcd's interval rules", "[validation]") {
  auto dup = [](TxnRequest t) {
    Status s = checkTxnRequest(t, 128);
    if (!s) CHECK(s.message() == kDup);
    return !s.isOk();
  };
  CHECK(dup(txnOf({putOp("a"), putOp("a")})));
  CHECK_FALSE(dup(txnOf({putOp("a")}, {putOp("a")})));  // then and else never both run
  CHECK(dup(txnOf({delOp("a"), putOp("a")})));
  CHECK(dup(txnOf({delOp("a", "c"), putOp("b")})));
  CHECK_FALSE(dup(txnOf({delOp("a", "c"), putOp("c")})));
  CHECK_FALSE(dup(txnOf({delOp("a"), delOp("a")})));  // deletes may overlap each other
  // From-key deletes ("\0" end) overlap nothing under etcd's rules.
  CHECK_FALSE(dup(txnOf({delOp("a", std::string(1, '\0')), putOp("b")})));
  // Nested txns.
  CHECK(dup(txnOf({putOp("a"), txnOp({putOp("a")})})));
  CHECK(dup(txnOf({putOp("a"), txnOp({}, {putOp("a")})})));
  CHECK_FALSE(dup(txnOf({txnOp({putOp("a")}, {putOp("a")})})));
  CHECK(dup(txnOf({txnOp({delOp("a", "z")}), putOp("m")})));
  CHECK(dup(txnOf({delOp("a", "z"), txnOp({putOp("m")})})));
  CHECK(dup(txnOf({txnOp({putOp("x")}), txnOp({putOp("x")})})));
  CHECK_FALSE(dup(txnOf({txnOp({putOp("x")}), txnOp({putOp("y")})})));
  CHECK(dup(txnOf({txnOp({txnOp({putOp("q")})}), putOp("q")})));
  // The else branch is checked on its own.
  CHECK(dup(txnOf({}, {putOp("a"), delOp("a")})));
}
