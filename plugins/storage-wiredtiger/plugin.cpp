// Plugin entry point of the WiredTiger storage backend.
#include "cairn/plugin.h"

#include "wiredtiger_backend.h"

namespace cairn::storage {
namespace {

class WiredTigerStoragePlugin : public StoragePlugin {
 public:
  std::unique_ptr<Backend> createBackend() override {
    return std::make_unique<WiredTigerBackend>();
  }
};

Plugin* create() {
  return new WiredTigerStoragePlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

const PluginDescriptor kDescriptor{kPluginAbiVersion, "storage-wiredtiger", PluginKind::Storage,
                                   create, destroy};

}  // namespace
}  // namespace cairn::storage

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::storage::kDescriptor;
}
