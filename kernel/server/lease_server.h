// LeaseServer: the etcd v3 Lease service as the kernel offers it to API
// plugins. Grant and revoke go through raft; keep-alives are answered by the
// leader's lessor (through the LeaseDriver, which waits when etcd would);
// TimeToLive and Leases read the lessor, as etcd's v3rpc layer does.
#pragma once

#include "cairn/host.h"
#include "server.h"

namespace cairn::server {

class LeaseServer final : public LeaseService {
 public:
  explicit LeaseServer(Server& server) : server_(server) {}

  void grant(const etcdserverpb::LeaseGrantRequest& req,
             Done<etcdserverpb::LeaseGrantResponse> done) override;
  void revoke(const etcdserverpb::LeaseRevokeRequest& req,
              Done<etcdserverpb::LeaseRevokeResponse> done) override;
  void keepAlive(const etcdserverpb::LeaseKeepAliveRequest& req,
                 Done<etcdserverpb::LeaseKeepAliveResponse> done) override;
  void timeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req,
                  Done<etcdserverpb::LeaseTimeToLiveResponse> done) override;
  void leases(const etcdserverpb::LeaseLeasesRequest& req,
              Done<etcdserverpb::LeaseLeasesResponse> done) override;

 private:
  Server& server_;
};

}  // namespace cairn::server
