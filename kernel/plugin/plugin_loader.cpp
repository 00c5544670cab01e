#include "plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

namespace cairn::plugin {

std::string_view pluginKindName(PluginKind kind) {
  switch (kind) {
    case PluginKind::Storage:
      return "storage";
    case PluginKind::Api:
      return "api";
    case PluginKind::Auth:
      return "auth";
    case PluginKind::Extension:
      return "extension";
  }
  return "unknown";
}

std::string PluginLoader::pathFor(const std::string& name) const {
  return pluginDir_ + "/" + name + ".so";
}

namespace {

bool isKnownKind(PluginKind kind) {
  switch (kind) {
    case PluginKind::Storage:
    case PluginKind::Api:
    case PluginKind::Auth:
    case PluginKind::Extension:
      return true;
  }
  return false;
}

// "a storage plugin", "an api plugin".
std::string withArticle(PluginKind kind) {
  const std::string_view name = pluginKindName(kind);
  const bool vowel =
      !name.empty() && std::string_view("aeiou").find(name[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(name) + " plugin";
}

Status wrongKind(const LoadedPlugin& plugin, const std::string& wanted) {
  return Status(StatusCode::FailedPrecondition,
                "plugin \"" + std::string(plugin.descriptor().name) + "\" at " + plugin.path() +
                    " is " + withArticle(plugin.kind()) + ", not " + wanted);
}

}  // namespace

Status requireKind(const LoadedPlugin& plugin, PluginKind kind) {
  if (plugin.kind() == kind) return Status::ok();
  return wrongKind(plugin, withArticle(kind));
}

Status requireServicePlugin(const LoadedPlugin& plugin) {
  if (plugin.kind() != PluginKind::Storage) return Status::ok();
  return wrongKind(plugin, "an api, auth or extension plugin");
}

Status PluginLoader::load(const std::string& name, LoadedPlugin* out) const {
  auto fail = [&](const std::string& why) {
    return Status(StatusCode::FailedPrecondition, "plugin \"" + name + "\": " + why);
  };
  if (name.empty() || name.find('/') != std::string::npos) {
    return fail("invalid plugin name (expected a file name without '/')");
  }
  const std::string path = pathFor(name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail("not found: no file " + path + " (check --plugin-dir and --plugins)");
  }
  // RTLD_LOCAL keeps each plugin's symbols private; RTLD_NOW surfaces missing
  // dependencies here rather than at the first call.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return fail("cannot load " + path + ": " + (err != nullptr ? err : "unknown dlopen error"));
  }
  ::dlerror();
  void* sym = ::dlsym(handle, kPluginEntrySymbol);
  if (sym == nullptr) {
    ::dlclose(handle);
    return fail(path + " does not export the entry symbol " + kPluginEntrySymbol +
                " (not a Cairn plugin, or built for another SDK)");
  }
  using EntryFn = const PluginDescriptor* (*)();
  const PluginDescriptor* descriptor = reinterpret_cast<EntryFn>(sym)();
  if (descriptor == nullptr) {
    ::dlclose(handle);
    return fail(path + ": " + kPluginEntrySymbol + "() returned no descriptor");
  }
  // abiVersion is the only field whose layout is stable across versions.
  if (descriptor->abiVersion != kPluginAbiVersion) {
    const uint32_t got = descriptor->abiVersion;
    ::dlclose(handle);
    return fail(path + " was built for plugin ABI version " + std::to_string(got) +
                ", this cairn requires ABI version " + std::to_string(kPluginAbiVersion) +
                "; rebuild the plugin against this SDK");
  }
  if (descriptor->name == nullptr || name != descriptor->name) {
    const std::string got = descriptor->name != nullptr ? descriptor->name : "(null)";
    ::dlclose(handle);
    return fail(path + " calls itself \"" + got + "\"; the file name must match the plugin name");
  }
  // The kind decides what the instance is cast to (StoragePlugin or
  // ServicePlugin), so a value this SDK does not define is refused here.
  if (!isKnownKind(descriptor->kind)) {
    const auto got = static_cast<uint32_t>(descriptor->kind);
    ::dlclose(handle);
    return fail(path + " declares an unknown plugin kind " + std::to_string(got));
  }
  if (descriptor->create == nullptr || descriptor->destroy == nullptr) {
    ::dlclose(handle);
    return fail(path + ": descriptor lacks create/destroy functions");
  }
  Plugin* instance = descriptor->create();
  if (instance == nullptr) {
    ::dlclose(handle);
    return fail(path + ": create() returned no instance");
  }
  *out = LoadedPlugin(handle, descriptor, instance, path);
  return Status::ok();
}

}  // namespace cairn::plugin
