// cairn.get / put / delete / txn / lease_grant: Lua tables to etcd requests
// and back, sent through the script's KvGateway (only while a handler runs).
#include <lua.hpp>
#include <string>

#include "lua_api.h"

namespace cairn::luahooks {
namespace {

// As in lua_api.cpp: a message is pushed and the lua_CFunction wrapper
// raises it once no C++ object is alive (Lua errors are longjmps).
template <typename... Args>
int fail(lua_State* L, const char* fmt, Args... args) {
  luaL_where(L, 1);
  lua_pushfstring(L, fmt, args...);
  lua_concat(L, 2);
  return -1;
}

KvGateway* gatewayOf(lua_State* L, const char* fn, int* rc) {
  auto* ctx = static_cast<ScriptContext*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (ctx->kv == nullptr) {
    *rc = fail(L, "%s: only inside a handler (the script's top level runs on every member)", fn);
    return nullptr;
  }
  return ctx->kv;
}

bool stringArg(lua_State* L, int idx, std::string* out) {
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER) return false;
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  out->assign(s, len);
  return true;
}

// Field readers of the options table at `idx` (absent options are fine).
bool boolOption(lua_State* L, int idx, const char* name) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  lua_getfield(L, idx, name);
  const bool v = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return v;
}

int64_t intOption(lua_State* L, int idx, const char* name) {
  if (lua_type(L, idx) != LUA_TTABLE) return 0;
  lua_getfield(L, idx, name);
  const int64_t v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  return v;
}

bool stringOption(lua_State* L, int idx, const char* name, std::string* out) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  lua_getfield(L, idx, name);
  const bool ok = stringArg(L, -1, out);
  lua_pop(L, 1);
  return ok;
}

int kvError(lua_State* L, const char* fn, const Status& st) {
  return fail(L, "%s: %s", fn, st.message().c_str());
}

void fillRange(lua_State* L, int opts, const std::string& key, etcdserverpb::RangeRequest* req) {
  req->set_key(key);
  if (boolOption(L, opts, "prefix")) req->set_range_end(prefixRangeEnd(key));
  std::string end;
  if (stringOption(L, opts, "range_end", &end)) req->set_range_end(end);
  req->set_limit(intOption(L, opts, "limit"));
  req->set_revision(intOption(L, opts, "revision"));
}

// cairn.get(key [, {prefix=, range_end=, limit=, revision=}]): one key gives
// its kv table or nil; a range gives a list of them and whether more remain.
int getImpl(lua_State* L) {
  int rc = 0;
  KvGateway* kv = gatewayOf(L, "cairn.get", &rc);
  if (kv == nullptr) return rc;
  std::string key;
  if (!stringArg(L, 1, &key)) return fail(L, "cairn.get: the key must be a string");
  etcdserverpb::RangeRequest req;
  fillRange(L, 2, key, &req);
  etcdserverpb::RangeResponse resp;
  if (Status st = kv->range(req, &resp); !st) return kvError(L, "cairn.get", st);
  if (req.range_end().empty()) {
    if (resp.kvs_size() == 0) {
      lua_pushnil(L);
    } else {
      pushKeyValue(L, resp.kvs(0));
    }
    return 1;
  }
  lua_createtable(L, resp.kvs_size(), 0);
  for (int i = 0; i < resp.kvs_size(); ++i) {
    pushKeyValue(L, resp.kvs(i));
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushboolean(L, resp.more());
  return 2;
}

// cairn.put(key, value [, {lease=id}]) -> the revision of the write.
int putImpl(lua_State* L) {
  int rc = 0;
  KvGateway* kv = gatewayOf(L, "cairn.put", &rc);
  if (kv == nullptr) return rc;
  etcdserverpb::PutRequest req;
  std::string key, value;
  if (!stringArg(L, 1, &key)) return fail(L, "cairn.put: the key must be a string");
  if (!stringArg(L, 2, &value)) return fail(L, "cairn.put: the value must be a string");
  req.set_key(key);
  req.set_value(value);
  req.set_lease(intOption(L, 3, "lease"));
  etcdserverpb::PutResponse resp;
  if (Status st = kv->put(req, &resp); !st) return kvError(L, "cairn.put", st);
  lua_pushinteger(L, resp.header().revision());
  return 1;
}

// cairn.delete(key [, {prefix=true, range_end=}]) -> how many keys went.
int deleteImpl(lua_State* L) {
  int rc = 0;
  KvGateway* kv = gatewayOf(L, "cairn.delete", &rc);
  if (kv == nullptr) return rc;
  std::string key, end;
  if (!stringArg(L, 1, &key)) return fail(L, "cairn.delete: the key must be a string");
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(key);
  if (boolOption(L, 2, "prefix")) req.set_range_end(prefixRangeEnd(key));
  if (stringOption(L, 2, "range_end", &end)) req.set_range_end(end);
  etcdserverpb::DeleteRangeResponse resp;
  if (Status st = kv->deleteRange(req, &resp); !st) return kvError(L, "cairn.delete", st);
  lua_pushinteger(L, resp.deleted());
  return 1;
}

// cairn.lease_grant(ttl) -> the new lease's id.
int leaseGrantImpl(lua_State* L) {
  int rc = 0;
  KvGateway* kv = gatewayOf(L, "cairn.lease_grant", &rc);
  if (kv == nullptr) return rc;
  if (!lua_isinteger(L, 1) || lua_tointeger(L, 1) <= 0) {
    return fail(L, "cairn.lease_grant: the TTL must be a positive integer (seconds)");
  }
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(lua_tointeger(L, 1));
  etcdserverpb::LeaseGrantResponse resp;
  if (Status st = kv->leaseGrant(req, &resp); !st) return kvError(L, "cairn.lease_grant", st);
  lua_pushinteger(L, resp.id());
  return 1;
}

// One compare {key=, target=, op=, value=} at `idx`: etcd's Compare.
int readCompare(lua_State* L, int idx, etcdserverpb::Compare* cmp) {
  std::string key, target = "value", op = "==";
  if (!stringOption(L, idx, "key", &key)) return fail(L, "cairn.txn: a compare needs a 'key'");
  stringOption(L, idx, "target", &target);
  stringOption(L, idx, "op", &op);
  cmp->set_key(key);
  if (op == "==") {
    cmp->set_result(etcdserverpb::Compare::EQUAL);
  } else if (op == "~=" || op == "!=") {
    cmp->set_result(etcdserverpb::Compare::NOT_EQUAL);
  } else if (op == "<") {
    cmp->set_result(etcdserverpb::Compare::LESS);
  } else if (op == ">") {
    cmp->set_result(etcdserverpb::Compare::GREATER);
  } else {
    return fail(L, "cairn.txn: compare op '%s' is not one of == ~= != < >", op.c_str());
  }
  if (target == "value") {
    std::string value;
    if (!stringOption(L, idx, "value", &value)) {
      return fail(L, "cairn.txn: a value compare needs a string 'value'");
    }
    cmp->set_target(etcdserverpb::Compare::VALUE);
    cmp->set_value(value);
    return 0;
  }
  const int64_t n = intOption(L, idx, "value");
  if (target == "version") {
    cmp->set_target(etcdserverpb::Compare::VERSION);
    cmp->set_version(n);
  } else if (target == "create") {
    cmp->set_target(etcdserverpb::Compare::CREATE);
    cmp->set_create_revision(n);
  } else if (target == "mod") {
    cmp->set_target(etcdserverpb::Compare::MOD);
    cmp->set_mod_revision(n);
  } else if (target == "lease") {
    cmp->set_target(etcdserverpb::Compare::LEASE);
    cmp->set_lease(n);
  } else {
    return fail(L, "cairn.txn: compare target '%s' is not value, version, create, mod or lease",
                target.c_str());
  }
  return 0;
}

// One operation {op="put"|"delete"|"get", key=, ...} at `idx`.
int readOp(lua_State* L, int idx, etcdserverpb::RequestOp* out) {
  std::string op, key, value, end;
  stringOption(L, idx, "op", &op);
  if (!stringOption(L, idx, "key", &key)) return fail(L, "cairn.txn: an operation needs a 'key'");
  const bool prefix = boolOption(L, idx, "prefix");
  const bool hasEnd = stringOption(L, idx, "range_end", &end);
  if (prefix) end = prefixRangeEnd(key);
  if (op == "put") {
    if (!stringOption(L, idx, "value", &value)) return fail(L, "cairn.txn: a put needs a 'value'");
    auto* put = out->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    put->set_lease(intOption(L, idx, "lease"));
  } else if (op == "delete") {
    auto* del = out->mutable_request_delete_range();
    del->set_key(key);
    if (prefix || hasEnd) del->set_range_end(end);
  } else if (op == "get") {
    auto* get = out->mutable_request_range();
    get->set_key(key);
    if (prefix || hasEnd) get->set_range_end(end);
    get->set_limit(intOption(L, idx, "limit"));
  } else {
    return fail(L, "cairn.txn: operation '%s' is not put, delete or get", op.c_str());
  }
  return 0;
}

// Reads the list field `name` of the txn table with `read` per element.
template <typename Read, typename Add>
int readList(lua_State* L, const char* name, Read read, Add add) {
  const int type = lua_getfield(L, 1, name);
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (type != LUA_TTABLE) {
    lua_pop(L, 1);
    return fail(L, "cairn.txn: '%s' must be a list of tables", name);
  }
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  for (lua_Integer i = 1; i <= n; ++i) {
    if (lua_geti(L, -1, i) != LUA_TTABLE) {
      lua_pop(L, 2);
      return fail(L, "cairn.txn: '%s' must be a list of tables", name);
    }
    const int rc = read(L, lua_gettop(L), add());
    if (rc < 0) {
      lua_remove(L, -2);  // the element, under the message
      lua_remove(L, -2);  // the list
      return rc;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return 0;
}

void pushOpResult(lua_State* L, const etcdserverpb::ResponseOp& r) {
  if (r.has_response_range()) {
    lua_createtable(L, r.response_range().kvs_size(), 0);
    for (int i = 0; i < r.response_range().kvs_size(); ++i) {
      pushKeyValue(L, r.response_range().kvs(i));
      lua_rawseti(L, -2, i + 1);
    }
  } else if (r.has_response_delete_range()) {
    lua_pushinteger(L, r.response_delete_range().deleted());
  } else {
    lua_pushboolean(L, 1);
  }
}

// cairn.txn{compare={...}, success={...}, failure={...}} ->
// {succeeded=bool, revision=n, results={...}}: a get's result is a list of
// kv tables, a delete's the number deleted, a put's true.
int txnImpl(lua_State* L) {
  int rc = 0;
  KvGateway* kv = gatewayOf(L, "cairn.txn", &rc);
  if (kv == nullptr) return rc;
  if (lua_type(L, 1) != LUA_TTABLE) {
    return fail(L, "cairn.txn: expects a table {compare=..., success=..., failure=...}");
  }
  etcdserverpb::TxnRequest req;
  if (readList(L, "compare", &readCompare, [&] { return req.add_compare(); }) < 0) return -1;
  if (readList(L, "success", &readOp, [&] { return req.add_success(); }) < 0) return -1;
  if (readList(L, "failure", &readOp, [&] { return req.add_failure(); }) < 0) return -1;
  etcdserverpb::TxnResponse resp;
  if (Status st = kv->txn(req, &resp); !st) return kvError(L, "cairn.txn", st);
  lua_createtable(L, 0, 3);
  lua_pushboolean(L, resp.succeeded());
  lua_setfield(L, -2, "succeeded");
  lua_pushinteger(L, resp.header().revision());
  lua_setfield(L, -2, "revision");
  lua_createtable(L, resp.responses_size(), 0);
  for (int i = 0; i < resp.responses_size(); ++i) {
    pushOpResult(L, resp.responses(i));
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "results");
  return 1;
}

int wrap(lua_State* L, int (*impl)(lua_State*)) {
  const int n = impl(L);
  if (n < 0) return lua_error(L);
  return n;
}

}  // namespace

void addKvFunctions(lua_State* L, ScriptContext* ctx) {
  static constexpr luaL_Reg kFunctions[] = {
      {"get", [](lua_State* L) { return wrap(L, &getImpl); }},
      {"put", [](lua_State* L) { return wrap(L, &putImpl); }},
      {"delete", [](lua_State* L) { return wrap(L, &deleteImpl); }},
      {"lease_grant", [](lua_State* L) { return wrap(L, &leaseGrantImpl); }},
      {"txn", [](lua_State* L) { return wrap(L, &txnImpl); }},
  };
  for (const luaL_Reg& fn : kFunctions) {
    lua_pushlightuserdata(L, ctx);
    lua_pushcclosure(L, fn.func, 1);
    lua_setfield(L, -2, fn.name);
  }
}

}  // namespace cairn::luahooks
