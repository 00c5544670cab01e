#include "sandbox.h"

#include <cstdlib>
#include <lua.hpp>
#include <utility>

namespace cairn::luahooks {
namespace {

// The count hook fires every this many VM instructions: often enough for a
// budget of a few thousand, rare enough to cost nothing measurable.
constexpr int kHookEvery = 1000;

// `load` restricted to text chunks given as strings: a binary chunk could
// break the VM's invariants, and a reader function could dodge the check.
int safeLoad(lua_State* L) {
  size_t len = 0;
  const char* text = lua_tolstring(L, 1, &len);
  if (text == nullptr || lua_type(L, 1) != LUA_TSTRING) {
    luaL_pushfail(L);
    lua_pushliteral(L, "load: only a string of Lua source can be loaded in a hook");
    return 2;
  }
  const char* name = luaL_optstring(L, 2, "=(load)");
  const char* mode = luaL_optstring(L, 3, "t");
  if (std::string(mode) != "t") {
    luaL_pushfail(L);
    lua_pushliteral(L, "load: attempt to load a binary chunk (only mode \"t\" is allowed)");
    return 2;
  }
  const bool hasEnv = !lua_isnone(L, 4);
  if (luaL_loadbufferx(L, text, len, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (hasEnv) {
    lua_pushvalue(L, 4);
    if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  }
  return 1;
}

int sandboxPrint(lua_State* L) {
  auto* print = static_cast<Sandbox::PrintFn*>(lua_touserdata(L, lua_upvalueindex(1)));
  // Built with Lua's own buffer: a __tostring that raises must not jump
  // over a live C++ object.
  const int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* line = lua_tolstring(L, -1, &len);
  if (*print) (*print)(std::string(line, len));
  return 0;
}

}  // namespace

const char* failureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::None:
      return "none";
    case FailureKind::Compile:
      return "compile";
    case FailureKind::Runtime:
      return "runtime";
    case FailureKind::InstructionLimit:
      return "instruction_limit";
    case FailureKind::Memory:
      return "memory";
  }
  return "runtime";
}

Sandbox::Sandbox(std::string chunkName, SandboxLimits limits, PrintFn print)
    : chunkName_(std::move(chunkName)), limits_(limits), print_(std::move(print)) {
  L_ = lua_newstate(&Sandbox::allocate, this);
  if (L_ == nullptr) return;
  // The hook finds its Sandbox through the state's extra space.
  *static_cast<Sandbox**>(lua_getextraspace(L_)) = this;
  // Protected: under a tiny memory cap even opening the libraries can fail,
  // and an unprotected Lua error would abort the member.
  lua_pushcfunction(L_, [](lua_State* L) {
    static_cast<Sandbox*>(lua_touserdata(L, 1))->openSafeLibraries();
    return 0;
  });
  lua_pushlightuserdata(L_, this);
  if (lua_pcall(L_, 1, 0, 0) != LUA_OK) {
    lua_close(L_);
    L_ = nullptr;
  }
}

Sandbox::~Sandbox() {
  if (L_ != nullptr) lua_close(L_);
}

void* Sandbox::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* self = static_cast<Sandbox*>(ud);
  // For a new block Lua passes the object's type in osize, not a size.
  const uint64_t old = ptr != nullptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    self->used_ -= old;
    return nullptr;
  }
  if (self->limits_.memoryBytes != 0 && nsize > old &&
      self->used_ + (nsize - old) > self->limits_.memoryBytes) {
    return nullptr;  // Lua raises "not enough memory"
  }
  void* out = std::realloc(ptr, nsize);
  if (out == nullptr) return nullptr;
  self->used_ = self->used_ - old + nsize;
  // A memory error unwinds the stack before anyone can ask where it
  // happened, so once the state holds half its cap the hook samples every
  // line. lua_sethook only sets fields (lua.c calls it from a signal
  // handler), so it is safe here.
  if (self->limits_.memoryBytes != 0 && !self->lineSampling_ && !self->budgetExceeded_ &&
      self->L_ != nullptr && self->used_ > self->limits_.memoryBytes / 2) {
    self->lineSampling_ = true;
    lua_sethook(self->L_, &Sandbox::countHook, LUA_MASKCOUNT | LUA_MASKLINE, kHookEvery);
  }
  return out;
}

void Sandbox::countHook(lua_State* L, lua_Debug* ar) {
  Sandbox* self = *static_cast<Sandbox**>(lua_getextraspace(L));
  if (lua_getinfo(L, "Sl", ar) != 0 && ar->currentline > 0) {
    self->lastLocation_ = std::string(ar->short_src) + ":" + std::to_string(ar->currentline);
  }
  if (ar->event == LUA_HOOKLINE) return;  // a location sample only
  self->executed_ += self->budgetExceeded_ ? 1 : kHookEvery;
  if (self->limits_.instructions == 0 || self->executed_ <= self->limits_.instructions) return;
  if (!self->budgetExceeded_) {
    self->budgetExceeded_ = true;
    // From now on every instruction raises: a pcall inside the script can
    // catch one error, but not get any further.
    lua_sethook(L, &Sandbox::countHook, LUA_MASKCOUNT, 1);
    self->lineSampling_ = false;
  }
  // luaL_error would place the error at the caller's level; the position
  // that matters is the running function's, which the hook just sampled.
  lua_pushfstring(
      L, "%s: instruction limit exceeded (%I instructions)",
      self->lastLocation_.empty() ? self->chunkName_.c_str() : self->lastLocation_.c_str(),
      static_cast<lua_Integer>(self->limits_.instructions));
  lua_error(L);
}

void Sandbox::openSafeLibraries() {
  static constexpr luaL_Reg kLibraries[] = {
      {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
      {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
  };
  for (const luaL_Reg& lib : kLibraries) {
    luaL_requiref(L_, lib.name, lib.func, 1);
    lua_pop(L_, 1);
  }
  // Base functions that reach the file system or load code unchecked.
  for (const char* name : {"dofile", "loadfile", "require"}) {
    lua_pushnil(L_);
    lua_setglobal(L_, name);
  }
  lua_pushcfunction(L_, &safeLoad);
  lua_setglobal(L_, "load");
  lua_pushlightuserdata(L_, &print_);
  lua_pushcclosure(L_, &sandboxPrint, 1);
  lua_setglobal(L_, "print");
  // string.dump makes bytecode, which nothing here may load anyway.
  lua_getglobal(L_, LUA_STRLIBNAME);
  lua_pushnil(L_);
  lua_setfield(L_, -2, "dump");
  lua_pop(L_, 1);
}

CallResult Sandbox::run(const std::string& source) {
  if (L_ == nullptr) return {FailureKind::Memory, chunkName_ + ": not enough memory for a state"};
  const std::string name = "@" + chunkName_;
  const int rc = luaL_loadbufferx(L_, source.data(), source.size(), name.c_str(), "t");
  if (rc != LUA_OK) {
    CallResult out = failure(rc);
    if (out.kind == FailureKind::Runtime) out.kind = FailureKind::Compile;
    return out;
  }
  return protectedCall(0);
}

CallResult Sandbox::call(int nargs) {
  return protectedCall(nargs);
}

CallResult Sandbox::protectedCall(int nargs) {
  executed_ = 0;
  budgetExceeded_ = false;
  lineSampling_ = false;
  lastLocation_.clear();
  // Installed even without a budget: its samples place memory errors.
  lua_sethook(L_, &Sandbox::countHook, LUA_MASKCOUNT, kHookEvery);
  const int rc = lua_pcall(L_, nargs, 0, 0);
  lua_sethook(L_, nullptr, 0, 0);
  if (rc == LUA_OK) return {};
  CallResult out = failure(rc);
  // What a failed call left behind (a half-built table) goes now, so the
  // next call starts with the memory the script really keeps.
  lua_gc(L_, LUA_GCCOLLECT);
  return out;
}

CallResult Sandbox::failure(int rc) {
  CallResult out;
  std::string message;
  if (lua_type(L_, -1) == LUA_TSTRING) {
    message = lua_tostring(L_, -1);
  } else {
    message = std::string("error object is a ") + luaL_typename(L_, -1);
  }
  lua_pop(L_, 1);
  if (rc == LUA_ERRMEM) {
    out.kind = FailureKind::Memory;
    // A memory error carries no position; the hook's last sample does.
    const std::string where = lastLocation_.empty() ? chunkName_ : lastLocation_;
    out.message = where + ": " + message + " (memory limit " + std::to_string(limits_.memoryBytes) +
                  " bytes)";
    return out;
  }
  out.kind = budgetExceeded_ ? FailureKind::InstructionLimit : FailureKind::Runtime;
  out.message = std::move(message);
  return out;
}

}  // namespace cairn::luahooks
