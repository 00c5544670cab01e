// authorizeRequest: what the check before proposing writes into the
// replicated request's header. The apply chain tells the kernel's own
// requests (no user, revision 0) from an anonymous caller with auth enabled
// (no user, a revision), so the revision must be carried even without a user.
#include "server/request_auth.h"

#include <catch2/catch.hpp>

using namespace cairn;
using namespace cairn::server;

namespace {

// Resolves every caller to a fixed identity and allows everything.
class FixedIdentity final : public Authorizer {
 public:
  AuthInfo identity;
  Status authenticate(const RequestContext&, AuthInfo* out) override {
    *out = identity;
    return Status::ok();
  }
  Status authorize(const AuthInfo&, const std::string&, const google::protobuf::Message&) override {
    return Status::ok();
  }
};

}  // namespace

TEST_CASE("request auth: the header carries the identity the request was checked with", "[auth]") {
  FixedIdentity auth;
  etcdserverpb::PutRequest put;
  etcdserverpb::RequestHeader header;

  SECTION("a user at a revision") {
    auth.identity = {"alice", 7};
    REQUIRE(authorizeRequest(&auth, RequestContext{}, put, &header).isOk());
    CHECK(header.username() == "alice");
    CHECK(header.auth_revision() == 7);
  }
  SECTION("anonymous with auth enabled keeps its revision, so it is not taken for the kernel") {
    auth.identity = {"", 4};
    REQUIRE(authorizeRequest(&auth, RequestContext{}, put, &header).isOk());
    CHECK(header.username().empty());
    CHECK(header.auth_revision() == 4);
  }
  SECTION("auth disabled leaves the header empty") {
    auth.identity = {"", 0};
    REQUIRE(authorizeRequest(&auth, RequestContext{}, put, &header).isOk());
    CHECK(header.username().empty());
    CHECK(header.auth_revision() == 0);
  }
  SECTION("no authorizer or a trusted context: nothing is written") {
    RequestContext trusted;
    trusted.trusted = true;
    auth.identity = {"alice", 7};
    REQUIRE(authorizeRequest(&auth, trusted, put, &header).isOk());
    REQUIRE(authorizeRequest(nullptr, RequestContext{}, put, &header).isOk());
    CHECK(header.username().empty());
    CHECK(header.auth_revision() == 0);
  }
}
