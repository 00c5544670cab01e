// LoadedPlugin: one dlopen'ed plugin image and the instance it created.
#pragma once

#include <string>

#include "cairn/plugin.h"

namespace cairn::plugin {

// Owns the dlopen handle and the plugin instance. The instance is destroyed
// through the plugin's own destroy() before the image is unloaded, so memory
// is released by the allocator that created it. Not copyable; movable.
class LoadedPlugin {
 public:
  LoadedPlugin() = default;
  LoadedPlugin(void* handle, const PluginDescriptor* descriptor, Plugin* instance,
               std::string path);
  ~LoadedPlugin();
  LoadedPlugin(LoadedPlugin&& other) noexcept;
  LoadedPlugin& operator=(LoadedPlugin&& other) noexcept;
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const PluginDescriptor& descriptor() const { return *descriptor_; }
  // The plugin's kind, as its descriptor declares it.
  PluginKind kind() const { return descriptor_->kind; }
  const std::string& path() const { return path_; }
  Plugin* instance() const { return instance_; }
  // Valid only for a plugin of the matching kind: check it first with
  // requireKind / requireServicePlugin (plugin_loader.h).
  StoragePlugin& asStorage() const { return *static_cast<StoragePlugin*>(instance_); }
  ServicePlugin& asService() const { return *static_cast<ServicePlugin*>(instance_); }

  // Destroys the instance and unloads the image (idempotent).
  void reset();

 private:
  void* handle_ = nullptr;
  const PluginDescriptor* descriptor_ = nullptr;
  Plugin* instance_ = nullptr;
  std::string path_;
};

}  // namespace cairn::plugin
