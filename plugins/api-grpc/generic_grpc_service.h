// GenericGrpcService: every RPC that no typed service of this plugin
// handles.
//
// - Services registered by plugins (Host::services(), by full proto name)
//   and the plugin's own StreamCall-based methods (Maintenance.Snapshot) are
//   served from their ServiceDef: the request bytes are parsed with the
//   prototype of the method's input type from the generated descriptor
//   pool, unary methods go to their UnaryHandler (GenericUnaryReactor),
//   streaming ones drive a StreamCall (StreamCallReactor).
// - Everything else answers UNIMPLEMENTED with a message naming what is
//   missing: "etcdserverpb.Auth.Authenticate is not implemented in this
//   Cairn build" for a method of the API no plugin serves, grpc-go's "unknown
//   service x.Y" / "unknown method M for service x.Y" for names outside it,
//   as etcd itself would answer. gRPC's generated bases would answer with an
//   empty message, and gRPC core does the same for unknown methods.
//
// A typed service registered with the server takes precedence over this
// fallback for the methods it handles.
#pragma once

#include <grpcpp/generic/async_generic_service.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/service.h"

namespace cairn::api {

class GenericGrpcService final : public grpc::CallbackGenericService {
 public:
  // `registry` must outlive the gRPC server; `own` are this plugin's
  // services, looked up before the registry. Requests larger than
  // `maxRequestBytes` are refused with grpc-go's text, as for KV.
  GenericGrpcService(const ServiceRegistry& registry, std::vector<ServiceDef> own,
                     int maxRequestBytes);

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

  // The UNIMPLEMENTED message for a full method name ("/pkg.Service/Method").
  static std::string unimplementedMessage(std::string_view fullMethod);

 private:
  const ServiceDef* find(const std::string& service) const;

  const ServiceRegistry& registry_;
  const std::map<std::string, ServiceDef> own_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
