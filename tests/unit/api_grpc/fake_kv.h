// Fakes the kernel's KV service: each method a FakeMethod the test scripts.
#pragma once

#include <utility>

#include "cairn/host.h"
#include "fake_method.h"

namespace cairn::api::test {

class FakeKv final : public KvService {
 public:
  void range(const RequestContext& ctx, const etcdserverpb::RangeRequest& req,
             Done<etcdserverpb::RangeResponse> done) override {
    rangeMethod.call(ctx, req, std::move(done));
  }
  void put(const RequestContext& ctx, const etcdserverpb::PutRequest& req,
           Done<etcdserverpb::PutResponse> done) override {
    putMethod.call(ctx, req, std::move(done));
  }
  void deleteRange(const RequestContext& ctx, const etcdserverpb::DeleteRangeRequest& req,
                   Done<etcdserverpb::DeleteRangeResponse> done) override {
    deleteRangeMethod.call(ctx, req, std::move(done));
  }
  void txn(const RequestContext& ctx, const etcdserverpb::TxnRequest& req,
           Done<etcdserverpb::TxnResponse> done) override {
    txnMethod.call(ctx, req, std::move(done));
  }
  void compact(const RequestContext& ctx, const etcdserverpb::CompactionRequest& req,
               Done<etcdserverpb::CompactionResponse> done) override {
    compactMethod.call(ctx, req, std::move(done));
  }

  FakeMethod<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse> rangeMethod;
  FakeMethod<etcdserverpb::PutRequest, etcdserverpb::PutResponse> putMethod;
  FakeMethod<etcdserverpb::DeleteRangeRequest, etcdserverpb::DeleteRangeResponse> deleteRangeMethod;
  FakeMethod<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse> txnMethod;
  FakeMethod<etcdserverpb::CompactionRequest, etcdserverpb::CompactionResponse> compactMethod;
};

}  // namespace cairn::api::test
