// The api-grpc plugin: etcd's v3 gRPC API as a ServicePlugin.
#include "cairn/plugin.h"
#include "grpc_server.h"

namespace cairn::api {
namespace {

class ApiGrpcPlugin final : public ServicePlugin {
 public:
  // A frontend declares no state: it serves what the kernel and the other
  // plugins declared, read from the Host in start(). It does declare that
  // it serves HTTP/2 connections, for a plugin owning the client listeners
  // to hand them over (the plugin outlives every call: the kernel stops all
  // plugins, the listener owner included, before destroying any).
  Status declare(Registrar& registrar) override {
    return registrar.connectionHandler("h2", [this](int fd) { server_.adopt(fd); });
  }
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
