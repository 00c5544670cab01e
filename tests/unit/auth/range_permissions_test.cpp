// etcd's range-permission rules (auth/range_perm_cache.go and its tests):
// single keys, ranges covered by one or several touching intervals, gaps,
// prefixes and from-key ("\0") permissions.
#include "range_permissions.h"

#include <catch2/catch.hpp>

using cairn::auth::RangePermissions;

namespace {

authpb::Permission perm(std::string key, std::string end, authpb::Permission::Type type) {
  authpb::Permission p;
  p.set_key(std::move(key));
  p.set_range_end(std::move(end));
  p.set_permtype(type);
  return p;
}

const std::string kFromKey(1, '\0');

}  // namespace

TEST_CASE("a single-key permission grants that key only", "[auth][perms]") {
  RangePermissions p;
  p.add(perm("foo", "", authpb::Permission::READ));
  CHECK(p.canRead("foo", ""));
  CHECK_FALSE(p.canRead("foo1", ""));
  CHECK_FALSE(p.canRead("fo", ""));
  CHECK_FALSE(p.canWrite("foo", ""));
  // The range [foo, foo\0) is exactly that key.
  CHECK(p.canRead("foo", std::string("foo\0", 4)));
  CHECK_FALSE(p.canRead("foo", "fop"));
}

TEST_CASE("a range permission covers keys and sub-ranges inside it", "[auth][perms]") {
  RangePermissions p;
  p.add(perm("a", "c", authpb::Permission::WRITE));
  CHECK(p.canWrite("a", ""));
  CHECK(p.canWrite("bzzz", ""));
  CHECK_FALSE(p.canWrite("c", ""));
  CHECK(p.canWrite("a", "c"));
  CHECK(p.canWrite("b", "bb"));
  CHECK_FALSE(p.canWrite("a", "d"));
  CHECK_FALSE(p.canWrite("0", "b"));
  CHECK_FALSE(p.canRead("a", ""));
}

TEST_CASE("touching intervals merge, a gap refuses the range", "[auth][perms]") {
  RangePermissions p;
  p.add(perm("a", "b", authpb::Permission::READ));
  p.add(perm("b", "c", authpb::Permission::READWRITE));
  p.add(perm("d", "e", authpb::Permission::READ));
  CHECK(p.canRead("a", "c"));
  CHECK(p.canRead("a", "b"));
  CHECK_FALSE(p.canRead("a", "e"));  // [c, d) is missing
  CHECK_FALSE(p.canWrite("a", "c"));
  CHECK(p.canWrite("b", "c"));
  // Overlapping and out-of-order intervals.
  RangePermissions q;
  q.add(perm("m", "z", authpb::Permission::READ));
  q.add(perm("a", "n", authpb::Permission::READ));
  CHECK(q.canRead("a", "z"));
  CHECK(q.canRead("b", "y"));
}

TEST_CASE("prefix and from-key permissions", "[auth][perms]") {
  RangePermissions p;
  p.add(perm("app/", "app0", authpb::Permission::READWRITE));  // --prefix app/
  p.add(perm("z", kFromKey, authpb::Permission::READ));        // --from-key z
  CHECK(p.canRead("app/x", ""));
  CHECK(p.canRead("app/", "app0"));
  CHECK_FALSE(p.canRead("app", ""));
  CHECK(p.canRead("z", ""));
  CHECK(p.canRead("zzzz", ""));
  CHECK(p.canRead("z", kFromKey));
  CHECK(p.canRead("zz", kFromKey));
  CHECK_FALSE(p.canRead("y", kFromKey));
  CHECK_FALSE(p.canWrite("z", ""));
  // Reading everything from a key needs an unbounded permission.
  CHECK_FALSE(p.canRead("app/", kFromKey));
}

TEST_CASE("no permissions grant nothing", "[auth][perms]") {
  RangePermissions p;
  CHECK_FALSE(p.canRead("a", ""));
  CHECK_FALSE(p.canRead("a", "b"));
  CHECK_FALSE(p.canWrite("a", kFromKey));
}
