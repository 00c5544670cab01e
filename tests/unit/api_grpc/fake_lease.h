// Fakes the kernel's Lease service: each method a FakeMethod the test scripts.
#pragma once

#include <utility>

#include "cairn/host.h"
#include "fake_method.h"

namespace cairn::api::test {

class FakeLease final : public LeaseService {
 public:
  void grant(const RequestContext& ctx, const etcdserverpb::LeaseGrantRequest& req,
             Done<etcdserverpb::LeaseGrantResponse> done) override {
    grantMethod.call(ctx, req, std::move(done));
  }
  void revoke(const RequestContext& ctx, const etcdserverpb::LeaseRevokeRequest& req,
              Done<etcdserverpb::LeaseRevokeResponse> done) override {
    revokeMethod.call(ctx, req, std::move(done));
  }
  void keepAlive(const RequestContext& ctx, const etcdserverpb::LeaseKeepAliveRequest& req,
                 Done<etcdserverpb::LeaseKeepAliveResponse> done) override {
    keepAliveMethod.call(ctx, req, std::move(done));
  }
  void timeToLive(const RequestContext& ctx, const etcdserverpb::LeaseTimeToLiveRequest& req,
                  Done<etcdserverpb::LeaseTimeToLiveResponse> done) override {
    timeToLiveMethod.call(ctx, req, std::move(done));
  }
  void leases(const RequestContext& ctx, const etcdserverpb::LeaseLeasesRequest& req,
              Done<etcdserverpb::LeaseLeasesResponse> done) override {
    leasesMethod.call(ctx, req, std::move(done));
  }

  FakeMethod<etcdserverpb::LeaseGrantRequest, etcdserverpb::LeaseGrantResponse> grantMethod;
  FakeMethod<etcdserverpb::LeaseRevokeRequest, etcdserverpb::LeaseRevokeResponse> revokeMethod;
  FakeMethod<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>
      keepAliveMethod;
  FakeMethod<etcdserverpb::LeaseTimeToLiveRequest, etcdserverpb::LeaseTimeToLiveResponse>
      timeToLiveMethod;
  FakeMethod<etcdserverpb::LeaseLeasesRequest, etcdserverpb::LeaseLeasesResponse> leasesMethod;
};

}  // namespace cairn::api::test
