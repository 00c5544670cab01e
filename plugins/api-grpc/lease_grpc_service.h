// LeaseGrpcService: etcd's Lease gRPC service on gRPC's callback API,
// forwarding to the kernel's LeaseService. The unary methods work as the KV
// ones (UnaryCallReactor); LeaseKeepAlive is one LeaseKeepAliveReactor per
// stream.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

class LeaseGrpcService final : public etcdserverpb::Lease::CallbackService {
 public:
  // `lease` must outlive the gRPC server this service is registered with.
  // `maxRequestBytes`: the receive limit clients see (see KvGrpcService).
  LeaseGrpcService(LeaseService& lease, int maxRequestBytes)
      : lease_(lease), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* context,
                                       const etcdserverpb::LeaseGrantRequest* request,
                                       etcdserverpb::LeaseGrantResponse* response) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* context,
                                        const etcdserverpb::LeaseRevokeRequest* request,
                                        etcdserverpb::LeaseRevokeResponse* response) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(
      grpc::CallbackServerContext* context, const etcdserverpb::LeaseTimeToLiveRequest* request,
      etcdserverpb::LeaseTimeToLiveResponse* response) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* context,
                                        const etcdserverpb::LeaseLeasesRequest* request,
                                        etcdserverpb::LeaseLeasesResponse* response) override;

 private:
  LeaseService& lease_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
