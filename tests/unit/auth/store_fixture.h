// An AuthStore over an in-memory backend: apply() runs one handler inside a
// write batch and commits it, as the kernel's plugin applier does, so a
// second store recovered from the same backend sees what the first wrote.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "auth_store.h"
#include "memory_backend.h"
#include "password_hasher.h"
#include "simple_tokens.h"

namespace cairn::auth::test {

struct StoreFixture {
  StoreFixture() {
    REQUIRE(backend.open({}));
    store = std::make_unique<AuthStore>(hasher, tokens);
  }

  Status apply(const std::function<Status(ApplyContext&)>& fn) {
    storage::WriteBatch batch;
    auto read = backend.beginRead();
    AuthInfo caller;
    ApplyContext ctx;
    ctx.index = ++index;
    ctx.caller = &caller;
    ctx.read = read.get();
    ctx.batch = &batch;
    Status st = fn(ctx);
    read.reset();
    REQUIRE(backend.commit(batch));
    return st;
  }

  Status addUser(const std::string& name, const std::string& password) {
    etcdserverpb::AuthUserAddRequest req;
    req.set_name(name);
    req.set_password(password);
    return apply([&](ApplyContext& ctx) { return store->userAdd(ctx, req); });
  }
  Status addRole(const std::string& name) {
    etcdserverpb::AuthRoleAddRequest req;
    req.set_name(name);
    return apply([&](ApplyContext& ctx) { return store->roleAdd(ctx, req); });
  }
  Status grantRole(const std::string& user, const std::string& role) {
    etcdserverpb::AuthUserGrantRoleRequest req;
    req.set_user(user);
    req.set_role(role);
    return apply([&](ApplyContext& ctx) { return store->userGrantRole(ctx, req); });
  }
  Status grantPermission(const std::string& role, const std::string& key, const std::string& end,
                         authpb::Permission::Type type) {
    etcdserverpb::AuthRoleGrantPermissionRequest req;
    req.set_name(role);
    req.mutable_perm()->set_key(key);
    req.mutable_perm()->set_range_end(end);
    req.mutable_perm()->set_permtype(type);
    return apply([&](ApplyContext& ctx) { return store->roleGrantPermission(ctx, req); });
  }
  Status enable() {
    return apply([&](ApplyContext& ctx) { return store->enable(ctx); });
  }
  // root with the root role, auth on.
  void enableWithRoot() {
    REQUIRE(addUser("root", "rootpw"));
    REQUIRE(grantRole("root", "root"));
    REQUIRE(enable());
  }

  storage::MemoryBackend backend;
  PasswordHasher hasher{PasswordHasher::kMinCost};
  SimpleTokens tokens{std::chrono::seconds(300)};
  std::unique_ptr<AuthStore> store;
  uint64_t index = 0;
};

}  // namespace cairn::auth::test
