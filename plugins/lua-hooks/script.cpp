#include "script.h"

#include <filesystem>
#include <fstream>
#include <lua.hpp>
#include <sstream>

#include "lua_api.h"

namespace cairn::luahooks {

Script::Script(std::string name, const ScriptEnv& env)
    : sandbox_(name, env.limits, [logger = env.logger, name](const std::string& line) {
        logger->info("lua-hooks/" + name, line, jsonField("script", name));
      }) {
  ctx_.chunkName = std::move(name);
  ctx_.logger = env.logger;
  ctx_.metrics = env.metrics;
}

std::unique_ptr<Script> Script::load(const std::string& path, const ScriptEnv& env,
                                     CallResult* error) {
  const std::string name = std::filesystem::path(path).filename().string();
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    *error = {FailureKind::Compile, name + ": cannot read " + path};
    return nullptr;
  }
  std::unique_ptr<Script> script(new Script(name, env));
  if (!script->sandbox_.valid()) {
    *error = {FailureKind::Memory, name + ": --lua-memory-limit is too small for a Lua state"};
    return nullptr;
  }
  // Inside a protected call: building the table may hit the memory cap.
  lua_State* L = script->sandbox_.state();
  lua_pushcfunction(L, [](lua_State* L) {
    installCairnApi(L, static_cast<ScriptContext*>(lua_touserdata(L, 1)));
    return 0;
  });
  lua_pushlightuserdata(L, &script->ctx_);
  if (CallResult installed = script->sandbox_.call(1); !installed.ok()) {
    *error = std::move(installed);
    return nullptr;
  }
  script->ctx_.loading = true;
  CallResult result = script->sandbox_.run(text.str());
  script->ctx_.loading = false;
  if (!result.ok()) {
    *error = std::move(result);
    return nullptr;
  }
  if (script->ctx_.handlers.empty()) {
    *error = {FailureKind::Runtime, name + ": registers no handler (call cairn.watch{...})"};
    return nullptr;
  }
  return script;
}

namespace {

struct HandlerCall {
  int functionRef;
  const mvccpb::Event* event;
  int64_t index;
};

// Runs inside the protected call, so building the event table under the
// memory cap fails the call instead of aborting the member.
int callHandler(lua_State* L) {
  const auto* call = static_cast<const HandlerCall*>(lua_touserdata(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, call->functionRef);
  pushEvent(L, *call->event, call->index);
  lua_call(L, 1, 0);
  return 0;
}

}  // namespace

CallResult Script::handle(size_t handler, const mvccpb::Event& ev, int64_t index, KvGateway& kv) {
  lua_State* L = sandbox_.state();
  HandlerCall call{ctx_.handlers.at(handler).functionRef, &ev, index};
  lua_pushcfunction(L, &callHandler);
  lua_pushlightuserdata(L, &call);
  ctx_.kv = &kv;
  CallResult result = sandbox_.call(1);
  ctx_.kv = nullptr;
  return result;
}

}  // namespace cairn::luahooks
