// The api-http plugin: owns the client listeners (etcd serves gRPC and
// HTTP/1.1 on one client URL), hands HTTP/2 connections to whichever plugin
// serves "h2" and answers HTTP/1.x itself: /health, /version, /metrics and
// the grpc-gateway JSON API.
#include "cairn/plugin.h"
#include "http_server.h"

namespace cairn::apihttp {
namespace {

class ApiHttpPlugin final : public ServicePlugin {
 public:
  Status declare(Registrar& registrar) override { return registrar.claimClientListeners(); }
  Status start(Host& host) override { return server_.start(host); }
  void stop() override { server_.stop(); }

 private:
  HttpServer server_;
};

Plugin* create() {
  return new ApiHttpPlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

constexpr PluginDescriptor kDescriptor{kPluginAbiVersion, "api-http", PluginKind::Api, &create,
                                       &destroy};

}  // namespace
}  // namespace cairn::apihttp

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::apihttp::kDescriptor;
}
