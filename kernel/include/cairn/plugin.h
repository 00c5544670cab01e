// The plugin ABI: every plugin is a shared library exporting one C symbol,
//
//   extern "C" const cairn::PluginDescriptor* cairn_plugin_v1();
//
// The loader reads `abiVersion` first and refuses the plugin unless it equals
// kPluginAbiVersion; only then does it trust the rest of the descriptor.
// Bump kPluginAbiVersion on any change to a header in kernel/include/cairn/.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "cairn/status.h"
#include "cairn/storage.h"

namespace cairn {

inline constexpr uint32_t kPluginAbiVersion = 2;
inline constexpr const char* kPluginEntrySymbol = "cairn_plugin_v1";

enum class PluginKind : uint32_t {
  Storage = 1,    // provides a storage::Backend
  Api = 2,        // serves clients (gRPC, HTTP)
  Auth = 3,       // provides the Authorizer
  Extension = 4,  // anything else (lock/election services, ...)
};

class Host;

// Base of every plugin instance; the kernel destroys it through
// PluginDescriptor::destroy so allocation and release stay in one image.
class Plugin {
 public:
  virtual ~Plugin() = default;
};

class StoragePlugin : public Plugin {
 public:
  virtual std::unique_ptr<storage::Backend> createBackend() = 0;
};

// API and extension plugins: started once the member can serve, stopped
// before it shuts down. start() must not block; it runs its own threads or
// uses the host's.
class ServicePlugin : public Plugin {
 public:
  virtual Status start(Host& host) = 0;
  virtual void stop() = 0;
};

struct PluginDescriptor {
  uint32_t abiVersion;  // must stay the first field
  const char* name;     // e.g. "storage-wiredtiger"
  PluginKind kind;
  // Storage kind: returns a StoragePlugin; Api/Extension: a ServicePlugin.
  Plugin* (*create)();
  void (*destroy)(Plugin*);
};

}  // namespace cairn

#define CAIRN_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
