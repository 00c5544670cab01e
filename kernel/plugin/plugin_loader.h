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

  // Loads `<pluginDir>/<name>.so`, checks its entry symbol, ABI version, name
  // and kind, and creates its instance. Every failure is a FailedPrecondition
  // whose message names the plugin and the file, so a misconfigured install
  // says exactly what is wrong.
  Status load(const std::string& name, PluginKind expectedKind, LoadedPlugin* out) const;

  const std::string& pluginDir() const { return pluginDir_; }
  std::string pathFor(const std::string& name) const;

 private:
  std::string pluginDir_;
};

std::string_view pluginKindName(PluginKind kind);

}  // namespace cairn::plugin
