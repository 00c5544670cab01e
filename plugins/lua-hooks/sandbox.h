// Sandbox: one Lua 5.4 state with only the safe parts of the standard
// library, a memory cap and a per-call instruction budget.
//
// Every script gets a state of its own (scripts cannot see each other). The
// state is confined: it is built on the thread that loads the script and then
// used only by that script's runner thread, one call at a time (the thread
// hand-off happens-before through the runner's start), so nothing here locks.
//
// Removed: io, os, package, require, debug, dofile, loadfile, string.dump and
// binary chunks (`load` accepts text only). `print` writes to the member's log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

struct lua_State;
struct lua_Debug;

namespace cairn::luahooks {

// Why a protected call failed; the label of cairn_hook_errors_total.
enum class FailureKind {
  None,
  Compile,           // the script does not parse (or is a binary chunk)
  Runtime,           // a Lua error: bad code, a forbidden library, error()
  InstructionLimit,  // ran past --lua-instruction-limit
  Memory,            // ran past --lua-memory-limit
};
const char* failureKindName(FailureKind kind);

struct CallResult {
  FailureKind kind = FailureKind::None;
  std::string message;  // "file.lua:12: what went wrong"
  bool ok() const { return kind == FailureKind::None; }
};

struct SandboxLimits {
  uint64_t memoryBytes = 0;   // 0: no cap
  uint64_t instructions = 0;  // per call; 0: no budget
};

class Sandbox {
 public:
  using PrintFn = std::function<void(const std::string&)>;

  // `chunkName` names the script in messages ("audit.lua").
  Sandbox(std::string chunkName, SandboxLimits limits, PrintFn print);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // False if the state could not even be created within the memory cap.
  bool valid() const { return L_ != nullptr; }
  lua_State* state() { return L_; }
  const std::string& chunkName() const { return chunkName_; }

  // Compiles `source` (text only) and runs it once, under the budget.
  CallResult run(const std::string& source);
  // Calls the function at stack index -(nargs+1) with `nargs` arguments
  // under the budget, discarding its results (lua_pcall's convention).
  CallResult call(int nargs);

  uint64_t memoryInUse() const { return used_; }

 private:
  static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);
  static void countHook(lua_State* L, lua_Debug* ar);
  void openSafeLibraries();
  CallResult protectedCall(int nargs);
  CallResult failure(int rc);

  const std::string chunkName_;
  const SandboxLimits limits_;
  PrintFn print_;
  lua_State* L_ = nullptr;
  uint64_t used_ = 0;            // bytes the state holds (allocator)
  uint64_t executed_ = 0;        // instructions of the current call (count hook)
  bool budgetExceeded_ = false;  // set by the hook, read after the call
  std::string lastLocation_;     // "file.lua:12", the hook's last sample
  bool lineSampling_ = false;    // the hook samples every line (memory is high)
};

}  // namespace cairn::luahooks
