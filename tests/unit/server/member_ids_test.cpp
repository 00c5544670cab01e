#include "server/member_ids.h"

#include <catch2/catch.hpp>

#include "cairn/logger.h"

using namespace cairn::server;

TEST_CASE("a default member gets etcd's default member and cluster IDs") {
  // etcd 3.4 with no flags reports member 8e9e05c52164694d in cluster
  // cdf818194e3a8c32; tools and docs quote these.
  const uint64_t member = computeMemberId({"http://localhost:2380"}, "etcd-cluster");
  CHECK(idToHex(member) == "8e9e05c52164694d");
  CHECK(idToHex(computeClusterId({member})) == "cdf818194e3a8c32");
}

TEST_CASE("member IDs do not depend on the order of peer URLs") {
  CHECK(computeMemberId({"http://a:1", "http://b:2"}, "t") ==
        computeMemberId({"http://b:2", "http://a:1"}, "t"));
  CHECK(computeMemberId({"http://a:1"}, "t") != computeMemberId({"http://a:1"}, "u"));
}

TEST_CASE("log fields are escaped as JSON") {
  using namespace cairn;
  CHECK(jsonEscape("a\"b\\c\n\x01") == "a\\\"b\\\\c\\n\\u0001");
  CHECK(jsonField("k", "v") == "\"k\":\"v\"");
  CHECK(jsonField("n", 3LL) == "\"n\":3");
  CHECK(jsonArrayField("l", {"x", "y"}) == "\"l\":[\"x\",\"y\"]");
}
