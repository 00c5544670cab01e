// Simple tokens: shape, expiry after the TTL since last use, invalidation of
// a user's tokens, and nothing known while disabled.
#include "simple_tokens.h"

#include <catch2/catch.hpp>

using cairn::auth::SimpleTokens;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  SimpleTokens::Clock fn() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("a simple token is <16 letters>.<index> and names its user", "[auth][tokens]") {
  FakeClock clock;
  SimpleTokens tokens(300s, clock.fn());
  tokens.enable();
  const std::string prefix = tokens.genTokenPrefix();
  REQUIRE(prefix.size() == 16);
  for (char c : prefix) CHECK(((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')));
  CHECK(tokens.genTokenPrefix() != prefix);
  std::string token;
  REQUIRE(tokens.assign("alice", 7, 42, prefix, &token));
  CHECK(token == prefix + ".42");
  std::string user;
  uint64_t rev = 99;
  REQUIRE(tokens.info(token, &user, &rev));
  CHECK(user == "alice");
  CHECK(rev == 0);  // simple tokens carry no revision
  CHECK_FALSE(tokens.info(prefix, &user, &rev));
  CHECK_FALSE(tokens.info(prefix + ".x", &user, &rev));
  CHECK_FALSE(tokens.info("nope.42", &user, &rev));
}

TEST_CASE("a simple token expires after its TTL since it was last used", "[auth][tokens]") {
  FakeClock clock;
  SimpleTokens tokens(10s, clock.fn());
  tokens.enable();
  std::string token;
  REQUIRE(tokens.assign("alice", 1, 5, "abcdefghijklmnop", &token));
  std::string user;
  uint64_t rev = 0;
  clock.now += 9s;
  REQUIRE(tokens.info(token, &user, &rev));  // used: ten more seconds
  clock.now += 9s;
  REQUIRE(tokens.info(token, &user, &rev));
  clock.now += 10s;
  CHECK_FALSE(tokens.info(token, &user, &rev));
  CHECK_FALSE(tokens.info(token, &user, &rev));
}

TEST_CASE("invalidating a user or disabling forgets tokens", "[auth][tokens]") {
  FakeClock clock;
  SimpleTokens tokens(300s, clock.fn());
  tokens.enable();
  std::string a, b;
  REQUIRE(tokens.assign("alice", 1, 1, "aaaaaaaaaaaaaaaa", &a));
  REQUIRE(tokens.assign("bob", 1, 2, "bbbbbbbbbbbbbbbb", &b));
  tokens.invalidateUser("alice");
  std::string user;
  uint64_t rev = 0;
  CHECK_FALSE(tokens.info(a, &user, &rev));
  CHECK(tokens.info(b, &user, &rev));
  tokens.disable();
  CHECK_FALSE(tokens.info(b, &user, &rev));
  std::string c;
  REQUIRE(tokens.assign("bob", 1, 3, "cccccccccccccccc", &c));  // disabled: not kept
  CHECK_FALSE(tokens.info(c, &user, &rev));
}
