// PluginLoader: finds, opens and validates plugins by name.
#pragma once

#include <string>

#include "cairn/plugin.h"
#include "cairn/status.h"
#include "loaded_plugin.h"

namespace cairn::plugin {

class PluginLoader {
 public:
  explicit PluginLoader(std::string pluginDir) : pluginDir_(std::move(pluginDir)) {}

  // Loads `<pluginDir>/<name>.so`, checks its entry symbol, ABI version,
  // name and kind (one the SDK defines), and creates its instance. The kind
  // is the plugin's own, from its descriptor: the caller checks that it is
  // one it can use (requireKind, requireServicePlugin). Every failure is a
  // FailedPrecondition whose message names the plugin and the file, so a
  // misconfigured install says exactly what is wrong.
  Status load(const std::string& name, LoadedPlugin* out) const;

  const std::string& pluginDir() const { return pluginDir_; }
  std::string pathFor(const std::string& name) const;

 private:
  std::string pluginDir_;
};

std::string_view pluginKindName(PluginKind kind);

// FailedPrecondition unless `plugin` is of `kind`: "plugin "X" at PATH is an
// api plugin, not a storage plugin" (e.g. an api plugin named as
// --storage-backend).
Status requireKind(const LoadedPlugin& plugin, PluginKind kind);
// FailedPrecondition unless `plugin` is a service plugin (api, auth or
// extension), i.e. anything but a storage backend (e.g. a storage plugin
// listed in --plugins).
Status requireServicePlugin(const LoadedPlugin& plugin);

}  // namespace cairn::plugin
