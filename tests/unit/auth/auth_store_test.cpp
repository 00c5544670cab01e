// The auth store's rules and errors (etcd 3.4's auth/store.go): enabling
// needs root with the root role, users and roles, revision bumps, what root
// may not lose while auth is on, permission checks with old revisions, and
// recovery from the buckets.
#include <catch2/catch.hpp>

#include "cairn/errors.h"
#include "store_fixture.h"

using cairn::Error;
using cairn::auth::test::StoreFixture;

TEST_CASE("enabling needs root, and root needs the root role", "[auth][store]") {
  StoreFixture f;
  CHECK(f.enable().is(Error::RootUserNotExist));
  REQUIRE(f.addUser("root", "pw"));
  CHECK(f.enable().is(Error::RootRoleNotExist));
  REQUIRE(f.grantRole("root", "root"));  // the root role needs no RoleAdd
  CHECK(f.enable());
  CHECK(f.store->enabled());
  CHECK(f.enable());  // enabling twice is fine
}

TEST_CASE("users and roles: duplicates, empties, missing", "[auth][store]") {
  StoreFixture f;
  CHECK(f.addUser("", "x").is(Error::UserEmpty));
  REQUIRE(f.addUser("alice", "a"));
  CHECK(f.addUser("alice", "b").is(Error::UserAlreadyExist));
  CHECK(f.addRole("").is(Error::RoleEmpty));
  REQUIRE(f.addRole("reader"));
  CHECK(f.addRole("reader").is(Error::RoleAlreadyExist));
  CHECK(f.grantRole("bob", "reader").is(Error::UserNotFound));
  CHECK(f.grantRole("alice", "writer").is(Error::RoleNotFound));
  REQUIRE(f.grantRole("alice", "reader"));

  etcdserverpb::AuthUserRevokeRoleRequest revoke;
  revoke.set_name("alice");
  revoke.set_role("nope");
  CHECK(f.apply([&](auto& ctx) {
           return f.store->userRevokeRole(ctx, revoke);
         }).is(Error::RoleNotGranted));
  etcdserverpb::AuthRoleRevokePermissionRequest rp;
  rp.set_role("reader");
  rp.set_key("k");
  CHECK(f.apply([&](auto& ctx) {
           return f.store->roleRevokePermission(ctx, rp);
         }).is(Error::PermissionNotGranted));

  etcdserverpb::AuthUserGetResponse got;
  REQUIRE(f.store->userGet("alice", &got));
  CHECK(got.roles_size() == 1);
  CHECK(f.store->userGet("bob", &got).is(Error::UserNotFound));
  etcdserverpb::AuthRoleGetResponse role;
  CHECK(f.store->roleGet("writer", &role).is(Error::RoleNotFound));
}

TEST_CASE("the auth revision moves as etcd's does", "[auth][store]") {
  StoreFixture f;
  const uint64_t start = f.store->revision();
  CHECK(start == 1);
  REQUIRE(f.addUser("root", "pw"));
  CHECK(f.store->revision() == start + 1);
  REQUIRE(f.grantRole("root", "root"));
  CHECK(f.store->revision() == start + 2);
  REQUIRE(f.grantRole("root", "root"));  // granted already: no change
  CHECK(f.store->revision() == start + 2);
  REQUIRE(f.enable());  // enabling does not count
  CHECK(f.store->revision() == start + 2);
  REQUIRE(f.addRole("r"));
  CHECK(f.store->revision() == start + 3);
  REQUIRE(f.apply([&](auto& ctx) { return f.store->disable(ctx); }));
  CHECK(f.store->revision() == start + 4);
}

TEST_CASE("root cannot be deleted or lose the root role while auth is on", "[auth][store]") {
  StoreFixture f;
  f.enableWithRoot();
  etcdserverpb::AuthUserDeleteRequest del;
  del.set_name("root");
  CHECK(
      f.apply([&](auto& ctx) { return f.store->userDelete(ctx, del); }).is(Error::InvalidAuthMgmt));
  etcdserverpb::AuthUserRevokeRoleRequest revoke;
  revoke.set_name("root");
  revoke.set_role("root");
  CHECK(f.apply([&](auto& ctx) {
           return f.store->userRevokeRole(ctx, revoke);
         }).is(Error::InvalidAuthMgmt));
  etcdserverpb::AuthRoleDeleteRequest roleDel;
  roleDel.set_role("root");
  CHECK(f.apply([&](auto& ctx) {
           return f.store->roleDelete(ctx, roleDel);
         }).is(Error::InvalidAuthMgmt));
}

TEST_CASE("permission checks: root, roles, old revisions, no user", "[auth][store]") {
  StoreFixture f;
  REQUIRE(f.addUser("alice", "a"));
  REQUIRE(f.addRole("r"));
  REQUIRE(f.grantPermission("r", "foo", "", authpb::Permission::READ));
  REQUIRE(f.grantRole("alice", "r"));
  // Disabled: everything passes.
  CHECK(f.store->isOpPermitted("", 5, "x", "", true));
  f.enableWithRoot();
  const uint64_t rev = f.store->revision();
  CHECK(f.store->isOpPermitted("alice", rev, "foo", "", false));
  CHECK(f.store->isOpPermitted("alice", rev, "foo", "", true).is(Error::PermissionDenied));
  CHECK(f.store->isOpPermitted("alice", rev, "bar", "", false).is(Error::PermissionDenied));
  CHECK(f.store->isOpPermitted("root", rev, "anything", "", true));
  CHECK(f.store->isOpPermitted("ghost", rev, "foo", "", false).is(Error::PermissionDenied));
  CHECK(f.store->isOpPermitted("", rev, "foo", "", false).is(Error::UserEmpty));
  CHECK(f.store->isOpPermitted("", 0, "foo", "", true));  // the kernel's own request
  CHECK(f.store->isOpPermitted("alice", rev - 1, "foo", "", false).is(Error::AuthOldRevision));
  CHECK(f.store->isAdminPermitted("root"));
  CHECK(f.store->isAdminPermitted("alice").is(Error::PermissionDenied));
  CHECK(f.store->isAdminPermitted("ghost").is(Error::UserNotFound));
  CHECK(f.store->isAdminPermitted("").is(Error::UserEmpty));
}

TEST_CASE("deleting a role takes it from its users", "[auth][store]") {
  StoreFixture f;
  REQUIRE(f.addUser("alice", "a"));
  REQUIRE(f.addRole("r"));
  REQUIRE(f.grantPermission("r", "a", "z", authpb::Permission::READWRITE));
  REQUIRE(f.grantRole("alice", "r"));
  f.enableWithRoot();
  CHECK(f.store->isOpPermitted("alice", f.store->revision(), "k", "", true));
  etcdserverpb::AuthRoleDeleteRequest del;
  del.set_role("r");
  REQUIRE(f.apply([&](auto& ctx) { return f.store->roleDelete(ctx, del); }));
  etcdserverpb::AuthUserGetResponse got;
  REQUIRE(f.store->userGet("alice", &got));
  CHECK(got.roles_size() == 0);
  CHECK(f.store->isOpPermitted("alice", f.store->revision(), "k", "", true)
            .is(Error::PermissionDenied));
}

TEST_CASE("granting the same key and range again updates its type", "[auth][store]") {
  StoreFixture f;
  REQUIRE(f.addRole("r"));
  REQUIRE(f.grantPermission("r", "b", "", authpb::Permission::READ));
  REQUIRE(f.grantPermission("r", "a", "", authpb::Permission::READ));
  REQUIRE(f.grantPermission("r", "b", "", authpb::Permission::WRITE));
  etcdserverpb::AuthRoleGetResponse got;
  REQUIRE(f.store->roleGet("r", &got));
  REQUIRE(got.perm_size() == 2);
  CHECK(got.perm(0).key() == "a");  // ordered by key
  CHECK(got.perm(1).key() == "b");
  CHECK(got.perm(1).permtype() == authpb::Permission::WRITE);
}

TEST_CASE("passwords: bcrypt, no difference between unknown user and wrong password",
          "[auth][store]") {
  StoreFixture f;
  f.enableWithRoot();
  uint64_t rev = 0;
  CHECK(f.store->checkPassword("root", "rootpw", &rev));
  CHECK(rev == f.store->revision());
  CHECK(f.store->checkPassword("root", "wrong", &rev).is(Error::AuthFailed));
  CHECK(f.store->checkPassword("nobody", "rootpw", &rev).is(Error::AuthFailed));
  etcdserverpb::AuthUserAddRequest np;
  np.set_name("service");
  np.mutable_options()->set_no_password(true);
  REQUIRE(f.apply([&](auto& ctx) { return f.store->userAdd(ctx, np); }));
  CHECK(f.store->checkPassword("service", "", &rev).is(Error::NoPasswordUser));
}

TEST_CASE("a store recovered from the buckets has the same state", "[auth][store]") {
  StoreFixture f;
  REQUIRE(f.addUser("alice", "a"));
  REQUIRE(f.addRole("r"));
  REQUIRE(f.grantPermission("r", "p/", "p0", authpb::Permission::READ));
  REQUIRE(f.grantRole("alice", "r"));
  f.enableWithRoot();
  const uint64_t rev = f.store->revision();

  cairn::auth::SimpleTokens tokens{std::chrono::seconds(300)};
  cairn::auth::AuthStore again(f.hasher, tokens);
  auto read = f.backend.beginRead();
  REQUIRE(again.recover(*read));
  CHECK(again.enabled());
  CHECK(again.revision() == rev);
  CHECK(again.isOpPermitted("alice", rev, "p/x", "", false));
  CHECK(again.isOpPermitted("alice", rev, "q", "", false).is(Error::PermissionDenied));
  uint64_t checked = 0;
  CHECK(again.checkPassword("alice", "a", &checked));
  etcdserverpb::AuthUserListResponse users;
  again.userList(&users);
  REQUIRE(users.users_size() == 2);
  CHECK(users.users(0) == "alice");
  CHECK(users.users(1) == "root");
}

TEST_CASE("an unknown user costs the same bcrypt work as a wrong password", "[auth][store]") {
  // Without the dummy comparison an unknown user would answer in
  // microseconds and a wrong password in milliseconds: a user-name oracle.
  StoreFixture f;
  f.enableWithRoot();
  using Clock = std::chrono::steady_clock;
  auto time = [&](const std::string& user) {
    uint64_t rev = 0;
    const auto start = Clock::now();
    for (int i = 0; i < 8; ++i)
      CHECK(f.store->checkPassword(user, "guess", &rev).is(Error::AuthFailed));
    return Clock::now() - start;
  };
  const auto wrongPassword = time("root");
  const auto unknownUser = time("nobody");
  // A generous bound: the machine may be loaded, the leak it guards against
  // is a thousandfold.
  CHECK(unknownUser * 10 > wrongPassword);
}
