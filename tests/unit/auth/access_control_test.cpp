// The Authorizer's answers per request type (etcd's apply_auth.go, v3rpc
// maintenance and membership checks): key requests by permission, txns op
// by op, admin requests root only, UserGet/RoleGet for oneself, tokens.
#include "access_control.h"

#include <catch2/catch.hpp>

#include "cairn/errors.h"
#include "store_fixture.h"

using cairn::AuthInfo;
using cairn::Error;
using cairn::RequestContext;
using cairn::auth::AccessControl;
using cairn::auth::test::StoreFixture;

namespace {

// alice: read/write "a..c" (range), read "ro"; auth on with root.
struct Fixture : StoreFixture {
  Fixture() {
    REQUIRE(addUser("alice", "a"));
    REQUIRE(addRole("r"));
    REQUIRE(grantPermission("r", "a", "c", authpb::Permission::READWRITE));
    REQUIRE(grantPermission("r", "ro", "", authpb::Permission::READ));
    REQUIRE(grantRole("alice", "r"));
    enableWithRoot();
  }
  AuthInfo alice() const { return {"alice", store->revision()}; }
  AuthInfo root() const { return {"root", store->revision()}; }
  AccessControl ac{*store, tokens};
};

etcdserverpb::PutRequest put(const std::string& key, bool prevKv = false) {
  etcdserverpb::PutRequest p;
  p.set_key(key);
  p.set_prev_kv(prevKv);
  return p;
}

etcdserverpb::RangeRequest range(const std::string& key, const std::string& end = "") {
  etcdserverpb::RangeRequest r;
  r.set_key(key);
  r.set_range_end(end);
  return r;
}

}  // namespace

TEST_CASE("key requests follow the caller's permissions", "[auth][access]") {
  Fixture f;
  CHECK(f.ac.authorize(f.alice(), "", put("b")));
  CHECK(f.ac.authorize(f.alice(), "", put("ro")).is(Error::PermissionDenied));
  CHECK(f.ac.authorize(f.alice(), "", range("ro")));
  CHECK(f.ac.authorize(f.alice(), "", range("a", "c")));
  CHECK(f.ac.authorize(f.alice(), "", range("a", "d")).is(Error::PermissionDenied));
  etcdserverpb::DeleteRangeRequest del;
  del.set_key("a");
  del.set_range_end("c");
  CHECK(f.ac.authorize(f.alice(), "", del));
  del.set_range_end("z");
  CHECK(f.ac.authorize(f.alice(), "", del).is(Error::PermissionDenied));
  etcdserverpb::WatchCreateRequest watch;
  watch.set_key("x");
  CHECK(f.ac.authorize(f.alice(), "", watch).is(Error::PermissionDenied));
  watch.set_key("ro");
  CHECK(f.ac.authorize(f.alice(), "", watch));
  CHECK(f.ac.authorize(f.root(), "", put("anything")));
}

TEST_CASE("a txn needs every compare and every op of both branches", "[auth][access]") {
  Fixture f;
  etcdserverpb::TxnRequest txn;
  auto* cmp = txn.add_compare();
  cmp->set_key("ro");
  *txn.add_success()->mutable_request_put() = put("b");
  CHECK(f.ac.authorize(f.alice(), "", txn));
  *txn.add_failure()->mutable_request_put() = put("ro");  // denied, even if never run
  CHECK(f.ac.authorize(f.alice(), "", txn).is(Error::PermissionDenied));
  etcdserverpb::TxnRequest nested;
  *nested.add_success()->mutable_request_txn()->add_success()->mutable_request_put() = put("zz");
  CHECK(f.ac.authorize(f.alice(), "", nested).is(Error::PermissionDenied));
}

TEST_CASE("admin requests need the root role", "[auth][access]") {
  Fixture f;
  etcdserverpb::AuthUserAddRequest add;
  CHECK(f.ac.authorize(f.alice(), "", add).is(Error::PermissionDenied));
  CHECK(f.ac.authorize(f.root(), "", add));
  CHECK(f.ac.authorize({"", f.store->revision()}, "", add).is(Error::UserEmpty));
  CHECK(
      f.ac.authorize(f.alice(), "", etcdserverpb::CompactionRequest()).is(Error::PermissionDenied));
  CHECK(f.ac.authorize(f.alice(), "", etcdserverpb::DefragmentRequest())
            .is(Error::AuthStorePermissionDenied));
  CHECK(f.ac.authorize({"", f.store->revision()}, "", etcdserverpb::SnapshotRequest())
            .is(Error::AuthStoreUserEmpty));
  CHECK(
      f.ac.authorize(f.alice(), "", etcdserverpb::MemberAddRequest()).is(Error::PermissionDenied));
  CHECK(f.ac.authorize(f.alice(), "", etcdserverpb::StatusRequest()));
  CHECK(f.ac.authorize(f.alice(), "", etcdserverpb::LeaseGrantRequest()));
  // The kernel's own requests: no user, revision 0.
  CHECK(f.ac.authorize({"", 0}, "", add));
}

TEST_CASE("UserGet and RoleGet: root, or one's own", "[auth][access]") {
  Fixture f;
  etcdserverpb::AuthUserGetRequest user;
  user.set_name("alice");
  CHECK(f.ac.authorize(f.alice(), "", user));
  user.set_name("root");
  CHECK(f.ac.authorize(f.alice(), "", user).is(Error::PermissionDenied));
  etcdserverpb::AuthRoleGetRequest role;
  role.set_role("r");
  CHECK(f.ac.authorize(f.alice(), "", role));
  role.set_role("root");
  CHECK(f.ac.authorize(f.alice(), "", role).is(Error::PermissionDenied));
}

TEST_CASE("authenticate: tokens, no token, unknown token", "[auth][access]") {
  Fixture f;
  std::string token;
  REQUIRE(f.tokens.assign("alice", 0, 9, "abcdefghijklmnop", &token));
  RequestContext ctx;
  ctx.token = token;
  AuthInfo who;
  REQUIRE(f.ac.authenticate(ctx, &who));
  CHECK(who.user == "alice");
  CHECK(who.revision == f.store->revision());
  ctx.token = "abcdefghijklmnop.10";
  CHECK(f.ac.authenticate(ctx, &who).is(Error::InvalidAuthToken));
  ctx.token.clear();
  REQUIRE(f.ac.authenticate(ctx, &who));
  CHECK(who.user.empty());
  CHECK(who.revision != 0);  // a client, not the kernel
  CHECK(f.ac.authorize(who, "", range("a")).is(Error::UserEmpty));
}
