#include "lua_check.h"

#include <vector>

#include "script.h"

namespace cairn::luahooks {

Status checkScript(const std::string& path, const SandboxLimits& limits, Logger& logger) {
  ScriptEnv env{&logger, nullptr, limits};
  CallResult error;
  std::unique_ptr<Script> script = Script::load(path, env, &error);
  if (script == nullptr) {
    return Status(StatusCode::InvalidArgument,
                  error.message + " (" + failureKindName(error.kind) + ")");
  }
  std::vector<std::string> handlers;
  for (const HandlerSpec& h : script->handlers()) {
    handlers.push_back(h.id + " line " + std::to_string(h.line));
  }
  logger.info("lua-hooks/lua_check.cpp", "Lua hook script checked",
              jsonField("script", script->name()) + "," + jsonArrayField("handlers", handlers));
  return Status::ok();
}

}  // namespace cairn::luahooks
