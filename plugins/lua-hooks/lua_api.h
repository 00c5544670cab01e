// The `cairn` table a script sees: watch, log, metric (lua_api.cpp) and the
// KV calls get, put, delete, txn, lease_grant (lua_kv.cpp). Each function
// finds its ScriptContext in its first upvalue.
#pragma once

#include <cstdint>

#include "mvccpb/kv.pb.h"
#include "script_context.h"

struct lua_State;

namespace cairn::luahooks {

// Sets the global `cairn` of `L`.
void installCairnApi(lua_State* L, ScriptContext* ctx);
// Adds get/put/delete/txn/lease_grant to the table at the top of the stack.
void addKvFunctions(lua_State* L, ScriptContext* ctx);

// Pushes the table a handler receives for `ev`; `index` is the event's
// position among the events of its revision this handler receives (from 0).
void pushEvent(lua_State* L, const mvccpb::Event& ev, int64_t index);
// Pushes {key=, value=, create_revision=, mod_revision=, version=, lease=}.
void pushKeyValue(lua_State* L, const mvccpb::KeyValue& kv);

// The end of the range that holds every key starting with `prefix` (etcd's
// GetPrefixRangeEnd): "\0" for a prefix of 0xff bytes only (every key).
std::string prefixRangeEnd(const std::string& prefix);

}  // namespace cairn::luahooks
