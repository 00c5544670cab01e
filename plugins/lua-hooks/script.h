// Script: one loaded *.lua file: its sandbox, its `cairn` table and the
// handlers its top level registered with cairn.watch{}.
//
// Loaded on the plugin's control thread (or main, for --lua-check), then
// used only by the script's runner thread: handle() is not thread-safe and
// needs no lock because exactly one thread owns the script at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kv_gateway.h"
#include "mvccpb/kv.pb.h"
#include "sandbox.h"
#include "script_context.h"

namespace cairn::luahooks {

struct ScriptEnv {
  Logger* logger = nullptr;    // never null
  Metrics* metrics = nullptr;  // null when only checking
  SandboxLimits limits;
};

class Script {
 public:
  // Reads, compiles and runs the file's top level. Null, with `error` set
  // ("file.lua:3: ..."), if it cannot be read, does not compile, fails or
  // registers no handler.
  static std::unique_ptr<Script> load(const std::string& path, const ScriptEnv& env,
                                      CallResult* error);

  const std::string& name() const { return ctx_.chunkName; }
  const std::vector<HandlerSpec>& handlers() const { return ctx_.handlers; }

  // Runs handler `handler` for `ev` with the KV calls going to `kv`.
  CallResult handle(size_t handler, const mvccpb::Event& ev, int64_t index, KvGateway& kv);

  uint64_t memoryInUse() const { return sandbox_.memoryInUse(); }

 private:
  Script(std::string name, const ScriptEnv& env);

  ScriptContext ctx_;  // before sandbox_: the state's functions point at it
  Sandbox sandbox_;
};

}  // namespace cairn::luahooks
