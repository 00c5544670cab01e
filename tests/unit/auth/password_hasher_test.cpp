// bcrypt through libxcrypt: salted "$2b$" hashes at the configured cost,
// verification (Go's "$2a$" hashes too), the fallback cost.
#include "password_hasher.h"

#include <catch2/catch.hpp>

using cairn::auth::PasswordHasher;

TEST_CASE("bcrypt hashes are salted and verify", "[auth][bcrypt]") {
  PasswordHasher hasher(4);
  std::string a, b;
  REQUIRE(hasher.hash("secret", &a));
  REQUIRE(hasher.hash("secret", &b));
  CHECK(a.rfind("$2b$04$", 0) == 0);
  CHECK(a.size() == 60);
  CHECK(a != b);
  CHECK(hasher.verify("secret", a));
  CHECK(hasher.verify("secret", b));
  CHECK_FALSE(hasher.verify("Secret", a));
  CHECK_FALSE(hasher.verify("secret", ""));
  CHECK_FALSE(hasher.verify("secret", "not a hash"));
  hasher.verifyDummy("secret");
}

TEST_CASE("a hash under Go's $2a$ prefix (etcd's) verifies", "[auth][bcrypt]") {
  // Go's bcrypt writes "$2a$"; for passwords without 8-bit bytes it is the
  // same computation as "$2b$", so the hash differs only in its prefix.
  PasswordHasher hasher(10);
  std::string ours;
  REQUIRE(hasher.hash("etcd", &ours));
  std::string goStyle = ours;
  goStyle[2] = 'a';  // "$2a$": the same algorithm under Go's prefix
  CHECK(hasher.verify("etcd", goStyle));
}

TEST_CASE("a cost outside bcrypt's bounds falls back to 10", "[auth][bcrypt]") {
  CHECK(PasswordHasher(3).cost() == 10);
  CHECK(PasswordHasher(32).cost() == 10);
  CHECK(PasswordHasher(4).cost() == 4);
}
