// Plugin entry point of the in-memory storage backend.
#include "cairn/plugin.h"

#include "memory_backend.h"

namespace cairn::storage {
namespace {

class MemoryStoragePlugin : public StoragePlugin {
 public:
  std::unique_ptr<Backend> createBackend() override { return std::make_unique<MemoryBackend>(); }
};

Plugin* create() {
  return new MemoryStoragePlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

const PluginDescriptor kDescriptor{kPluginAbiVersion, "storage-memory", PluginKind::Storage, create,
                                   destroy};

}  // namespace
}  // namespace cairn::storage

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::storage::kDescriptor;
}
