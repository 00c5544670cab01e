// UnimplementedService: the answer for every RPC no registered service
// handles.
//
// etcd's Cluster, Maintenance and Auth services and the v3lock and v3election
// services are not served by this plugin yet. gRPC's generated
// callback bases would answer them with UNIMPLEMENTED and an empty message,
// and gRPC core does the same for unknown methods. This generic service takes
// all of them instead, streaming or not, so a client learns exactly what is
// missing ("etcdserverpb.Cluster.MemberList is not implemented in this Cairn
// build"). Methods outside etcd's API get grpc-go's wording ("unknown service
// x.Y", "unknown method M for service x.Y"), as etcd itself would answer.
// Registering a real service later takes precedence over this fallback.
#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include <string>
#include <string_view>

namespace cairn::api {

class UnimplementedService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

  // The UNIMPLEMENTED message for a full method name ("/pkg.Service/Method").
  static std::string messageFor(std::string_view fullMethod);
};

}  // namespace cairn::api
