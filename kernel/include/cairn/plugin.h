// The plugin ABI: every plugin is a shared library exporting one C symbol,
//
//   extern "C" const cairn::PluginDescriptor* cairn_plugin_v1();
//
// The loader reads `abiVersion` first and refuses the plugin unless it equals
// kPluginAbiVersion; only then does it trust the rest of the descriptor,
// including its kind. Bump kPluginAbiVersion on any change to a header in
// kernel/include/cairn/.
//
// Lifecycle of a service plugin (SDK 3), each step on the kernel's main
// thread:
//   create -> declare(Registrar&)   storage open, before WAL replay
//          -> start(Host&)          the member is ready and serving; auth and
//                                   extension plugins start before API
//                                   frontends, each in --plugins order
//          -> stop()                before the member stops, in reverse
//          -> destroy
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "cairn/registrar.h"
#include "cairn/status.h"
#include "cairn/storage.h"

namespace cairn {

inline constexpr uint32_t kPluginAbiVersion = 9;
inline constexpr const char* kPluginEntrySymbol = "cairn_plugin_v1";

enum class PluginKind : uint32_t {
  Storage = 1,    // provides a storage::Backend
  Api = 2,        // serves clients (gRPC, HTTP)
  Auth = 3,       // provides the Authorizer
  Extension = 4,  // anything else (lock/election services, hooks, ...)
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

// API, auth and extension plugins.
class ServicePlugin : public Plugin {
 public:
  // Declares buckets, replicated commands, services and the authorizer.
  virtual Status declare(Registrar& registrar) {
    (void)registrar;
    return Status::ok();
  }
  // The member is ready. Must not block: run threads of its own or use the
  // host's callbacks. `host` outlives stop().
  virtual Status start(Host& host) = 0;
  virtual void stop() = 0;
};

struct PluginDescriptor {
  uint32_t abiVersion;  // must stay the first field
  const char* name;     // e.g. "storage-wiredtiger"
  PluginKind kind;
  // Storage kind: returns a StoragePlugin; every other kind: a ServicePlugin.
  Plugin* (*create)();
  void (*destroy)(Plugin*);
};

}  // namespace cairn

#define CAIRN_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
