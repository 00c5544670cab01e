// The api-grpc plugin: etcd's v3 gRPC API as a ServicePlugin.
#include "cairn/plugin.h"
#include "grpc_server.h"

namespace cairn::api {
namespace {

class ApiGrpcPlugin final : public ServicePlugin {
 public:
  // A frontend declares nothing: it serves what the kernel and the other
  // plugins declared, read from the Host in start().
  Status declare(Registrar& /*registrar*/) override { return Status::ok(); }
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
