// ClusterGrpcService: etcd's Cluster gRPC service. MemberList is forwarded
// to the kernel's Cluster (served raw like KvGrpcService); the membership
// changes are not built yet, so they are left to the generic service, which
// answers them UNIMPLEMENTED naming the method.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/cluster.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

namespace cluster_raw {
using etcdserverpb::Cluster;
using Base = Cluster::WithRawCallbackMethod_MemberList<Cluster::WithGenericMethod_MemberAdd<
    Cluster::WithGenericMethod_MemberRemove<Cluster::WithGenericMethod_MemberUpdate<
        Cluster::WithGenericMethod_MemberPromote<Cluster::Service>>>>>;
}  // namespace cluster_raw

class ClusterGrpcService final : public cluster_raw::Base {
 public:
  // `cluster` must outlive the gRPC server this service is registered with.
  ClusterGrpcService(Cluster& cluster, int maxRequestBytes)
      : cluster_(cluster), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  Cluster& cluster_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
