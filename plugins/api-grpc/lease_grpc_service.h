// LeaseGrpcService: etcd's Lease gRPC service on gRPC's callback API,
// forwarding to the kernel's LeaseService. Served raw like KvGrpcService;
// the unary methods are UnaryCallReactors, LeaseKeepAlive is one
// LeaseKeepAliveReactor per stream.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

namespace lease_raw {
using etcdserverpb::Lease;
using Base = Lease::WithRawCallbackMethod_LeaseGrant<Lease::WithRawCallbackMethod_LeaseRevoke<
    Lease::WithRawCallbackMethod_LeaseKeepAlive<Lease::WithRawCallbackMethod_LeaseTimeToLive<
        Lease::WithRawCallbackMethod_LeaseLeases<Lease::Service>>>>>;
}  // namespace lease_raw

class LeaseGrpcService final : public lease_raw::Base {
 public:
  // `lease` must outlive the gRPC server this service is registered with.
  // `maxRequestBytes`: the receive limit clients see (see KvGrpcService).
  LeaseGrpcService(LeaseService& lease, int maxRequestBytes)
      : lease_(lease), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* LeaseKeepAlive(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

 private:
  LeaseService& lease_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
