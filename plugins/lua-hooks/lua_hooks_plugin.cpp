// lua-hooks: Lua reactions to key events (docs/lua-hooks.md).
//
// declare()  the replicated progress (bucket "lua-hooks", HookProgress);
//            with --lua-check FILE set it only checks that script and
//            answers the result (kernel/main.cpp prints it and exits).
// start()    with --lua-hooks-dir set: loads the scripts and runs their
//            handlers on the leader (HookManager); without it, idle.
// stop()     stops the handlers, recording their progress.
// The kernel loads this plugin when --lua-hooks-dir is given (or it is
// named in --plugins).
#include <memory>

#include "cairn/host.h"
#include "cairn/plugin.h"
#include "hook_manager.h"
#include "lua_check.h"
#include "progress_store.h"

namespace cairn::luahooks {
namespace {

constexpr const char* kCaller = "lua-hooks/lua_hooks_plugin.cpp";

Status readLimits(const Settings& settings, SandboxLimits* out) {
  if (Status st = settings.uint64("lua-memory-limit", &out->memoryBytes); !st) return st;
  return settings.uint64("lua-instruction-limit", &out->instructions);
}

class LuaHooksPlugin final : public ServicePlugin {
 public:
  Status declare(Registrar& registrar) override {
    SandboxLimits limits;
    if (Status st = readLimits(registrar.settings(), &limits); !st) return st;
    const std::string check = registrar.settings().raw("lua-check").value_or("");
    if (!check.empty()) return checkScript(check, limits, registrar.logger());
    return declareProgress(registrar);
  }

  Status start(Host& host) override {
    HookConfig config;
    config.dir = host.settings().raw("lua-hooks-dir").value_or("");
    if (Status st = readLimits(host.settings(), &config.limits); !st) return st;
    if (config.dir.empty()) {
      host.logger().info(kCaller, "no --lua-hooks-dir: Lua hooks idle");
      return Status::ok();
    }
    manager_ = std::make_unique<HookManager>(config);
    return manager_->start(host);
  }

  void stop() override {
    if (manager_) manager_->stop();
    manager_.reset();
  }

 private:
  std::unique_ptr<HookManager> manager_;
};

Plugin* create() {
  return new LuaHooksPlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

constexpr PluginDescriptor kDescriptor{kPluginAbiVersion, "lua-hooks", PluginKind::Extension,
                                       &create, &destroy};

}  // namespace
}  // namespace cairn::luahooks

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::luahooks::kDescriptor;
}
