// The apply chain with plugin commands: commands proposed through the
// member are applied by their plugin's handler inside the entry's backend
// batch, survive a restart (memory: WAL replay; WiredTiger: the backend),
// the recover hook runs before any entry is applied, and writes to buckets
// the plugin did not declare are refused.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "apply_request.h"
#include "fake_plugin.h"
#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

// A registry with the fake plugin, and a neighbour owning bucket
// "neighbour".
struct PluginRegistryFixture {
  NoSettings settings;
  plugin::PluginRegistry registry;
  FakePlugin fake;
  explicit PluginRegistryFixture(Logger& logger) : registry(settings, logger) {
    fake.declare(registry.registrarFor("fake"));
    REQUIRE(registry.registrarFor("neighbour").bucket("neighbour").isOk());
    registry.seal();
  }
};

std::pair<Status, std::unique_ptr<google::protobuf::Message>> propose(
    Server& server, const google::protobuf::Message& command,
    const RequestContext& ctx = RequestContext::internal()) {
  std::promise<std::pair<Status, std::unique_ptr<google::protobuf::Message>>> p;
  auto f = p.get_future();
  server.proposeCommand(ctx, command,
                        [&p](Status st, std::unique_ptr<google::protobuf::Message> resp) {
                          p.set_value({std::move(st), std::move(resp)});
                        });
  return f.get();
}

mvccpb::KeyValue kv(const std::string& key, const std::string& value) {
  mvccpb::KeyValue c;
  c.set_key(key);
  c.set_value(value);
  return c;
}

std::optional<std::string> stored(Server& server, std::string_view bucket, std::string_view key) {
  return server.read()->get(bucket, key);
}

}  // namespace

TEST_CASE("plugin commands apply in the entry's batch, survive restart and WAL replay",
          "[apply][plugin]") {
  const std::string backend = GENERATE("memory", "wiredtiger");
  INFO("backend " << backend);
  TempDir dir;
  JsonLogger logger(LogLevel::Error, {"stderr"});
  PluginRegistryFixture plugins(logger);
  {
    Server server(fastMemberOptions(dir.path), makeBackend(backend), logger, plugins.registry);
    REQUIRE(server.start().isOk());
    auto [st, resp] = propose(server, kv("a", "1"));
    REQUIRE(st.isOk());
    REQUIRE(resp != nullptr);
    auto* put = dynamic_cast<etcdserverpb::PutResponse*>(resp.get());
    REQUIRE(put != nullptr);
    // The member fills the header of a response that has one.
    CHECK(put->header().member_id() == server.memberId());
    CHECK(put->header().cluster_id() == server.clusterId());
    CHECK(put->header().raft_term() > 0);

    // A failing handler answers its error; what it wrote still commits.
    auto [fst, fresp] = propose(server, kv("b", "fail"));
    CHECK(fst.code() == StatusCode::FailedPrecondition);
    CHECK(fst.message() == "fake: asked to fail");
    CHECK(fresp == nullptr);

    // A type etcd's InternalRaftRequest has a field for travels in it.
    etcdserverpb::AuthUserAddRequest user;
    user.set_name("alice");
    user.set_password("pw");
    REQUIRE(raftRequestFieldFor(user.GetDescriptor()) != nullptr);
    CHECK(raftRequestFieldFor(user.GetDescriptor())->name() == "auth_user_add");
    CHECK(raftRequestFieldFor(mvccpb::KeyValue::descriptor()) == nullptr);
    REQUIRE(propose(server, user).first.isOk());

    CHECK(stored(server, FakePlugin::kBucket, "a") == "1");
    CHECK(stored(server, FakePlugin::kBucket, "b") == "fail");
    CHECK(stored(server, FakePlugin::kBucket, "user/alice") == "pw");
    server.stop();
  }
  const auto before = plugins.fake.journal();
  REQUIRE(before.size() == 4);
  CHECK(before[0] == "recover:0");
  plugins.fake.clearJournal();
  {
    Server server(fastMemberOptions(dir.path), makeBackend(backend), logger, plugins.registry);
    REQUIRE(server.start().isOk());
    const auto after = plugins.fake.journal();
    REQUIRE_FALSE(after.empty());
    if (backend == "memory") {
      // Nothing survives in memory: the hook sees an empty bucket, then
      // every command is applied again from the WAL, after it.
      CHECK(after ==
            std::vector<std::string>{"recover:0", "apply:a", "apply:b", "apply:user/alice"});
    } else {
      // The backend kept the entries (consistent index): no replay.
      CHECK(after == std::vector<std::string>{"recover:3"});
    }
    CHECK(stored(server, FakePlugin::kBucket, "a") == "1");
    CHECK(stored(server, FakePlugin::kBucket, "user/alice") == "pw");
    REQUIRE(propose(server, kv("c", "3")).first.isOk());
    CHECK(stored(server, FakePlugin::kBucket, "c") == "3");
  }
}

TEST_CASE("a plugin command writing a bucket its plugin did not declare is refused",
          "[apply][plugin]") {
  TempDir dir;
  JsonLogger logger(LogLevel::Fatal, {"stderr"});  // the refusals are logged as errors
  PluginRegistryFixture plugins(logger);
  Server server(fastMemberOptions(dir.path), makeBackend("memory"), logger, plugins.registry);
  REQUIRE(server.start().isOk());

  for (const std::string bucket : {"nobody", "neighbour", "key"}) {
    INFO("bucket " << bucket);
    auto [st, resp] = propose(server, kv("bucket:" + bucket, "x"));
    CHECK(st.code() == StatusCode::FailedPrecondition);
    CHECK(st.message() == "cairn: plugin fake wrote to bucket \"" + bucket +
                              "\", which it did not declare; the command was not applied");
    CHECK(resp == nullptr);
    CHECK_FALSE(stored(server, bucket, "bucket:" + bucket).has_value());
  }
  // The member goes on applying.
  REQUIRE(propose(server, kv("ok", "1")).first.isOk());
  CHECK(stored(server, FakePlugin::kBucket, "ok") == "1");

  // A type no plugin declared is refused before raft.
  etcdserverpb::PutRequest undeclared;
  auto [st, resp] = propose(server, undeclared);
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(st.message() == "cairn: no plugin declared a command of type etcdserverpb.PutRequest");
}
