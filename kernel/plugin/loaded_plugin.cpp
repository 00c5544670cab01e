#include "loaded_plugin.h"

#include <dlfcn.h>

#include <utility>

namespace cairn::plugin {

LoadedPlugin::LoadedPlugin(void* handle, const PluginDescriptor* descriptor, Plugin* instance,
                           std::string path)
    : handle_(handle), descriptor_(descriptor), instance_(instance), path_(std::move(path)) {}

LoadedPlugin::~LoadedPlugin() {
  reset();
}

LoadedPlugin::LoadedPlugin(LoadedPlugin&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      descriptor_(std::exchange(other.descriptor_, nullptr)),
      instance_(std::exchange(other.instance_, nullptr)),
      path_(std::move(other.path_)) {}

LoadedPlugin& LoadedPlugin::operator=(LoadedPlugin&& other) noexcept {
  if (this != &other) {
    reset();
    handle_ = std::exchange(other.handle_, nullptr);
    descriptor_ = std::exchange(other.descriptor_, nullptr);
    instance_ = std::exchange(other.instance_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

void LoadedPlugin::reset() {
  if (instance_ != nullptr) {
    descriptor_->destroy(instance_);
    instance_ = nullptr;
  }
  if (handle_ != nullptr) {
    dlclose(handle_);
    handle_ = nullptr;
  }
  descriptor_ = nullptr;
}

}  // namespace cairn::plugin
