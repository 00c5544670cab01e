// The api-grpc plugin: etcd's v3 gRPC API as a ServicePlugin.
#include "cairn/plugin.h"
#include "grpc_server.h"

namespace cairn::api {
namespace {

class ApiGrpcPlugin final : public ServicePlugin {
 public:
  Status start(Host& host) override { return server_.start(host); }
  void stop() override { server_.stop(); }

 private:
  GrpcServer server_;
};

Plugin* create() {
  return new ApiGrpcPlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

constexpr PluginDescriptor kDescriptor{kPluginAbiVersion, "api-grpc", PluginKind::Api, &create,
                                       &destroy};

}  // namespace
}  // namespace cairn::api

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::api::kDescriptor;
}
