// Auth around the apply chain: requests are checked before they are
// proposed and again at apply time with the auth revision they were
// proposed with, so a change of the auth store in between is honoured.
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>

#include "cairn/authorizer.h"
#include "fake_plugin.h"
#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

// etcd's rule: an identity resolved at an older auth revision is stale.
// The token is the user name; the kernel's own requests carry no user.
class RevisionAuthorizer final : public Authorizer {
 public:
  std::atomic<uint64_t> revision{1};
  std::atomic<int> applyTimeChecks{0};

  Status authenticate(const RequestContext& ctx, AuthInfo* out) override {
    if (ctx.token.empty()) return Status(Error::InvalidAuthToken);
    out->user = ctx.token;
    out->revision = revision.load();
    return Status::ok();
  }
  Status authorize(const AuthInfo& who, const std::string& method,
                   const google::protobuf::Message& request) override {
    CHECK(method.empty());
    if (request.GetDescriptor() == etcdserverpb::PutRequest::descriptor() && !who.user.empty()) {
      ++applyTimeChecks;
    }
    if (who.user.empty()) return Status::ok();
    if (who.user == "mallory") return Status(Error::PermissionDenied);
    if (who.revision < revision.load()) return Status(Error::AuthOldRevision);
    return Status::ok();
  }
};

struct AuthRegistry {
  NoSettings settings;
  plugin::PluginRegistry registry;
  FakePlugin fake;
  std::shared_ptr<RevisionAuthorizer> authorizer = std::make_shared<RevisionAuthorizer>();
  explicit AuthRegistry(Logger& logger) : registry(settings, logger) {
    fake.declare(registry.registrarFor("fake"));
    REQUIRE(registry.registrarFor("auth").authorizer(authorizer).isOk());
    registry.seal();
  }
};

RequestContext as(const std::string& user) {
  RequestContext ctx;
  ctx.token = user;
  return ctx;
}

etcdserverpb::PutRequest putOf(const std::string& key) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value("v");
  return req;
}

}  // namespace

TEST_CASE(
    "auth: a put whose auth revision went stale before it applied fails, a fresh one "
    "goes through",
    "[apply][auth]") {
  TempDir dir;
  JsonLogger logger(LogLevel::Error, {"stderr"});
  AuthRegistry plugins(logger);
  Server server(fastMemberOptions(dir.path), makeBackend("memory"), logger, plugins.registry);
  REQUIRE(server.start().isOk());
  KvService& kv = server.kv();

  // Refused before raft: no token, or no permission.
  auto [nst, _] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(RequestContext(), putOf("k"), std::move(done)); });
  CHECK(nst.is(Error::InvalidAuthToken));
  auto [mst, __] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(as("mallory"), putOf("k"), std::move(done)); });
  CHECK(mst.is(Error::PermissionDenied));

  // Hold the apply loop so the put is committed but not applied while the
  // auth store moves on.
  std::future<void> held = plugins.fake.armLatch();
  mvccpb::KeyValue latch;
  latch.set_key("latch");
  std::promise<Status> latchDone;
  server.proposeCommand(
      RequestContext::internal(), latch,
      [&](Status st, std::unique_ptr<google::protobuf::Message>) { latchDone.set_value(st); });
  REQUIRE(held.wait_for(std::chrono::seconds(5)) == std::future_status::ready);

  std::promise<std::pair<Status, etcdserverpb::PutResponse>> stale;
  kv.put(as("alice"), putOf("stale"), [&](Status st, etcdserverpb::PutResponse&& r) {
    stale.set_value({st, std::move(r)});
  });
  // put() authorized (at revision 1) and proposed before returning.
  plugins.authorizer->revision = 2;
  plugins.fake.release();
  REQUIRE(latchDone.get_future().get().isOk());

  auto [sst, sresp] = stale.get_future().get();
  CHECK(sst.is(Error::AuthOldRevision));
  CHECK(sst.code() == StatusCode::InvalidArgument);
  CHECK(sst.message() == "etcdserver: revision of auth store is old");

  auto [fst, fresp] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(as("alice"), putOf("fresh"), std::move(done)); });
  REQUIRE(fst.isOk());
  CHECK(plugins.authorizer->applyTimeChecks.load() >= 2);  // each put checked again at apply

  etcdserverpb::RangeRequest all;
  all.set_key(std::string(1, '\0'));
  all.set_range_end(std::string(1, '\0'));
  auto [rst, range] = call<etcdserverpb::RangeResponse>(
      [&](auto done) { kv.range(as("alice"), all, std::move(done)); });
  REQUIRE(rst.isOk());
  REQUIRE(range.kvs_size() == 1);
  CHECK(range.kvs(0).key() == "fresh");

  // A trusted (kernel-internal) context skips authentication.
  auto [tst, ___] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(RequestContext::internal(), putOf("internal"), std::move(done)); });
  CHECK(tst.isOk());
}
