// ClusterGrpcService: etcd's Cluster gRPC service, every method forwarded to
// the kernel's Cluster (served raw like KvGrpcService).
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/cluster.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

namespace cluster_raw {
using etcdserverpb::Cluster;
using Base = Cluster::WithRawCallbackMethod_MemberList<Cluster::WithRawCallbackMethod_MemberAdd<
    Cluster::WithRawCallbackMethod_MemberRemove<Cluster::WithRawCallbackMethod_MemberUpdate<
        Cluster::WithRawCallbackMethod_MemberPromote<Cluster::Service>>>>>;
}  // namespace cluster_raw

class ClusterGrpcService final : public cluster_raw::Base {
 public:
  // `cluster` must outlive the gRPC server this service is registered with.
  ClusterGrpcService(Cluster& cluster, int maxRequestBytes)
      : cluster_(cluster), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;

 private:
  Cluster& cluster_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
