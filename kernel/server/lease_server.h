// LeaseServer: the etcd v3 Lease service as the kernel offers it to
// plugins. Every request is checked with the authorizer first (when auth is
// on). Grant and revoke go through raft; keep-alives are answered by the
// leader's lessor (through the LeaseDriver, which waits when etcd would);
// TimeToLive and Leases read the lessor, as etcd's v3rpc layer does.
//
// Threads: any caller; answers come from the read pool, the reply pool or
// the lease driver's thread.
#pragma once

#include "cairn/host.h"
#include "service_context.h"

namespace cairn::server {

class LeaseServer final : public LeaseService {
 public:
  explicit LeaseServer(ServiceContext context) : c_(context) {}

  void grant(const RequestContext& ctx, const etcdserverpb::LeaseGrantRequest& req,
             Done<etcdserverpb::LeaseGrantResponse> done) override;
  void revoke(const RequestContext& ctx, const etcdserverpb::LeaseRevokeRequest& req,
              Done<etcdserverpb::LeaseRevokeResponse> done) override;
  void keepAlive(const RequestContext& ctx, const etcdserverpb::LeaseKeepAliveRequest& req,
                 Done<etcdserverpb::LeaseKeepAliveResponse> done) override;
  void timeToLive(const RequestContext& ctx, const etcdserverpb::LeaseTimeToLiveRequest& req,
                  Done<etcdserverpb::LeaseTimeToLiveResponse> done) override;
  void leases(const RequestContext& ctx, const etcdserverpb::LeaseLeasesRequest& req,
              Done<etcdserverpb::LeaseLeasesResponse> done) override;

 private:
  ServiceContext c_;
};

}  // namespace cairn::server
