#include "lua_api.h"

#include <cctype>
#include <lua.hpp>
#include <string>

namespace cairn::luahooks {
namespace {

ScriptContext* contextOf(lua_State* L) {
  return static_cast<ScriptContext*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// Lua's errors are longjmps (Debian builds it as C): raising one while C++
// objects are alive would skip their destructors. So the functions below
// build their message with pushError, return, and the thin lua_CFunction
// wrapper raises it once every C++ local is gone.
template <typename... Args>
void pushError(lua_State* L, const char* fmt, Args... args) {
  luaL_where(L, 1);
  lua_pushfstring(L, fmt, args...);
  lua_concat(L, 2);
}

// Optional string field of the table at `idx`: 1 present, 0 absent, -1 not
// a string (the message pushed).
int stringField(lua_State* L, int idx, const char* name, std::string* out) {
  const int type = lua_getfield(L, idx, name);
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (type != LUA_TSTRING) {
    lua_pop(L, 1);
    pushError(L, "cairn.watch: '%s' must be a string, not a %s", name, lua_typename(L, type));
    return -1;
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  out->assign(s, len);
  lua_pop(L, 1);
  return 1;
}

// False with the message pushed when `filters` is malformed.
bool readFilters(lua_State* L, int idx, HandlerSpec* spec) {
  const int type = lua_getfield(L, idx, "filters");
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    return true;
  }
  if (type != LUA_TTABLE) {
    lua_pop(L, 1);
    pushError(L, "cairn.watch: 'filters' must be a list like {\"put\"}");
    return false;
  }
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_geti(L, -1, i);
    const char* f = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    const std::string filter = f;
    lua_pop(L, 1);
    // etcd's filters name what is left out; a hook's name what it gets.
    if (filter == "put") {
      spec->noDelete = true;
    } else if (filter == "delete") {
      spec->noPut = true;
    } else {
      lua_pop(L, 1);
      pushError(L, "cairn.watch: unknown filter '%s' (use \"put\" or \"delete\")", filter.c_str());
      return false;
    }
  }
  lua_pop(L, 1);
  if (spec->noPut && spec->noDelete) {
    pushError(L,
              "cairn.watch: filters {\"put\", \"delete\"} together are every event; leave "
              "'filters' out");
    return false;
  }
  return true;
}

// -1 with the message pushed, or 0.
int watchImpl(lua_State* L) {
  ScriptContext* ctx = contextOf(L);
  if (!ctx->loading) {
    pushError(L, "cairn.watch: handlers are registered when the script loads, not later");
    return -1;
  }
  if (lua_type(L, 1) != LUA_TTABLE) {
    pushError(L, "cairn.watch: expects a table: cairn.watch{prefix=..., handler=function(ev) end}");
    return -1;
  }
  HandlerSpec spec;
  std::string prefix, key, rangeEnd, name;
  const int hasPrefix = stringField(L, 1, "prefix", &prefix);
  if (hasPrefix < 0) return -1;
  const int hasKey = stringField(L, 1, "key", &key);
  if (hasKey < 0) return -1;
  const int hasEnd = stringField(L, 1, "range_end", &rangeEnd);
  if (hasEnd < 0) return -1;
  const int hasName = stringField(L, 1, "name", &name);
  if (hasName < 0) return -1;
  const char* problem = nullptr;
  if (hasPrefix == hasKey) {
    problem = "cairn.watch: give exactly one of 'prefix', 'key'";
  } else if (hasPrefix && hasEnd) {
    problem = "cairn.watch: 'range_end' goes with 'key', not 'prefix'";
  } else if (hasKey && key.empty()) {
    problem = "cairn.watch: 'key' is empty";
  } else if (hasName && name.empty()) {
    problem = "cairn.watch: 'name' is empty";
  }
  if (problem != nullptr) {
    pushError(L, "%s", problem);
    return -1;
  }
  if (hasPrefix) {
    spec.key = prefix.empty() ? std::string(1, '\0') : prefix;
    spec.rangeEnd = prefixRangeEnd(prefix);
  } else {
    spec.key = key;
    spec.rangeEnd = rangeEnd;
  }
  lua_getfield(L, 1, "prev_kv");
  spec.prevKv = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  if (!readFilters(L, 1, &spec)) return -1;
  const std::string tag = name.empty() ? std::to_string(ctx->handlers.size() + 1) : name;
  spec.id = ctx->chunkName + "#" + tag;
  for (const HandlerSpec& other : ctx->handlers) {
    if (other.id == spec.id) {
      pushError(L, "cairn.watch: a handler named '%s' is already registered", tag.c_str());
      return -1;
    }
  }
  if (lua_getfield(L, 1, "handler") != LUA_TFUNCTION) {
    lua_pop(L, 1);
    pushError(L, "cairn.watch: 'handler' must be a function");
    return -1;
  }
  spec.functionRef = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "l", &ar) != 0) spec.line = ar.currentline;
  ctx->handlers.push_back(std::move(spec));
  return 0;
}

int luaWatch(lua_State* L) {
  if (watchImpl(L) < 0) return lua_error(L);
  return 0;
}

int logImpl(lua_State* L) {
  ScriptContext* ctx = contextOf(L);
  // First, while no C++ object is alive: a __tostring may raise.
  size_t len = 0;
  const char* msg = luaL_tolstring(L, 2, &len);
  const char* levelText = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : "";
  const std::string level = levelText;
  LogLevel lv = LogLevel::Info;
  if (level == "debug") {
    lv = LogLevel::Debug;
  } else if (level == "info") {
    lv = LogLevel::Info;
  } else if (level == "warn") {
    lv = LogLevel::Warn;
  } else if (level == "error") {
    lv = LogLevel::Error;
  } else {
    pushError(L, "cairn.log: the level must be \"debug\", \"info\", \"warn\" or \"error\"");
    return -1;
  }
  std::string where = ctx->chunkName;
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "l", &ar) != 0 && ar.currentline > 0) {
    where += ":" + std::to_string(ar.currentline);
  }
  ctx->logger->log(lv, "lua-hooks/" + where, std::string(msg, len), jsonField("script", where));
  return 0;
}

int luaLog(lua_State* L) {
  if (logImpl(L) < 0) return lua_error(L);
  return 0;
}

int luaCounterInc(lua_State* L) {
  auto* counter = static_cast<Counter*>(lua_touserdata(L, lua_upvalueindex(1)));
  const lua_Number by = luaL_optnumber(L, 2, 1);
  if (!(by >= 0)) return luaL_error(L, "metric:inc: a counter only goes up (got %f)", by);
  if (counter != nullptr) counter->inc(by);
  return 0;
}

int metricImpl(lua_State* L) {
  ScriptContext* ctx = contextOf(L);
  const char* text = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : "";
  const std::string name = text;
  bool valid =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!valid) {
    pushError(L, "cairn.metric: '%s' is not a metric name ([A-Za-z_][A-Za-z0-9_]*)", text);
    return -1;
  }
  Counter* counter = nullptr;
  if (ctx->metrics != nullptr) {
    counter = ctx->metrics->counter("cairn_hook_" + name, "Counted by a Lua hook script.",
                                    {{"script", ctx->chunkName}});
    if (counter == nullptr) {
      pushError(L, "cairn.metric: cairn_hook_%s is already a metric of another kind", text);
      return -1;
    }
  }
  lua_createtable(L, 0, 1);
  lua_pushlightuserdata(L, counter);
  lua_pushcclosure(L, &luaCounterInc, 1);
  lua_setfield(L, -2, "inc");
  return 1;
}

int luaMetric(lua_State* L) {
  const int n = metricImpl(L);
  if (n < 0) return lua_error(L);
  return n;
}

void addFunction(lua_State* L, ScriptContext* ctx, const char* name, lua_CFunction fn) {
  lua_pushlightuserdata(L, ctx);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, -2, name);
}

void setInteger(lua_State* L, const char* name, int64_t v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, name);
}

void setString(lua_State* L, const char* name, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, name);
}

}  // namespace

std::string prefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    const auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

void installCairnApi(lua_State* L, ScriptContext* ctx) {
  lua_newtable(L);
  addFunction(L, ctx, "watch", &luaWatch);
  addFunction(L, ctx, "log", &luaLog);
  addFunction(L, ctx, "metric", &luaMetric);
  addKvFunctions(L, ctx);
  lua_setglobal(L, "cairn");
}

void pushKeyValue(lua_State* L, const mvccpb::KeyValue& kv) {
  lua_createtable(L, 0, 6);
  setString(L, "key", kv.key());
  setString(L, "value", kv.value());
  setInteger(L, "create_revision", kv.create_revision());
  setInteger(L, "mod_revision", kv.mod_revision());
  setInteger(L, "version", kv.version());
  setInteger(L, "lease", kv.lease());
}

void pushEvent(lua_State* L, const mvccpb::Event& ev, int64_t index) {
  lua_createtable(L, 0, 11);
  lua_pushstring(L, ev.type() == mvccpb::Event::DELETE ? "DELETE" : "PUT");
  lua_setfield(L, -2, "type");
  const mvccpb::KeyValue& kv = ev.kv();
  setString(L, "key", kv.key());
  if (ev.type() != mvccpb::Event::DELETE) setString(L, "value", kv.value());
  if (ev.has_prev_kv()) setString(L, "prev_value", ev.prev_kv().value());
  setInteger(L, "create_revision", kv.create_revision());
  setInteger(L, "mod_revision", kv.mod_revision());
  setInteger(L, "version", kv.version());
  setInteger(L, "lease", kv.lease());
  // A delete event's kv carries the deleting revision as its mod_revision.
  setInteger(L, "revision", kv.mod_revision());
  setInteger(L, "index", index);
}

}  // namespace cairn::luahooks
