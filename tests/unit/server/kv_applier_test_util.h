// Helpers shared by the KV applier tests: a store with an applier, and
// request builders.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "mvcc/test_util.h"
#include "server/kv_applier.h"

namespace cairn::server::test {

using namespace etcdserverpb;

inline const std::string kNul(1, '\0');

struct ApplierFixture : mvcc::test::StoreFixture {
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

inline RangeRequest rangeReq(const std::string& k, const std::string& end = "") {
  RangeRequest r;
  r.set_key(k);
  r.set_range_end(end);
  return r;
}

inline std::string keys(const RangeResponse& r) {
  std::string s;
  for (const auto& kv : r.kvs()) s += kv.key() + ",";
  return s;
}

inline Compare cmp(const std::string& key, Compare::CompareTarget target,
                   Compare::CompareResult result) {
  Compare c;
  c.set_key(key);
  c.set_target(target);
  c.set_result(result);
  return c;
}

inline RequestOp putOp(const std::string& k, const std::string& v) {
  RequestOp op;
  op.mutable_request_put()->set_key(k);
  op.mutable_request_put()->set_value(v);
  return op;
}

inline RequestOp rangeOp(const std::string& k, const std::string& end = "") {
  RequestOp op;
  *op.mutable_request_range() = rangeReq(k, end);
  return op;
}

inline RequestOp delOp(const std::string& k, const std::string& end = "") {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(k);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}

}  // namespace cairn::server::test
