// The concurrency plugin: etcd's Lock and Election gRPC services (v3lockpb,
// v3electionpb) as an extension, built only on the Host's KV, Lease and Watch
// services — the same requests etcd's client-side recipes make, so the
// services and `etcdctl lock` / `etcdctl elect` exclude one another.
//
// Lifecycle (kernel main thread): declare() registers the two services (every
// frontend serves them); start() starts the plugin's one thread; stop() ends
// every live call and joins it.
#include "cairn/plugin.h"
#include "core.h"
#include "services.h"

namespace cairn::concurrency {
namespace {

class ConcurrencyPlugin final : public ServicePlugin {
 public:
  ConcurrencyPlugin() : core_(std::make_shared<Core>()) {}

  Status declare(Registrar& registrar) override {
    if (Status st = registrar.service(lockService(core_)); !st) return st;
    return registrar.service(electionService(core_));
  }

  Status start(Host& host) override {
    if (Status st = core_->start(host); !st) return st;
    host.logger().info("concurrency/plugin", "serving lock and election services",
                       jsonArrayField("services", {kLockServiceName, kElectionServiceName}));
    return Status::ok();
  }

  void stop() override { core_->stop(); }

 private:
  std::shared_ptr<Core> core_;
};

Plugin* create() {
  return new ConcurrencyPlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

constexpr PluginDescriptor kDescriptor{kPluginAbiVersion, "concurrency", PluginKind::Extension,
                                       &create, &destroy};

}  // namespace
}  // namespace cairn::concurrency

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::concurrency::kDescriptor;
}
