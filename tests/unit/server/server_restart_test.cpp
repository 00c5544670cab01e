// The member in-process: requests through the KV frontend, restarts through
// snapshots and released WAL segments, on both backends.
#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <memory>

#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

ServerOptions optionsFor(const fs::path& dir) {
  ServerOptions o = fastMemberOptions(dir);
  o.snapshotCount = 25;           // several snapshots in one test
  o.walSegmentBytes = 64 * 1024;  // several segments, so release has work
  return o;
}

void putKey(KvService& kv, const std::string& key, const std::string& value) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  auto [st, resp] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(RequestContext(), req, std::move(done)); });
  REQUIRE(st.isOk());
}

etcdserverpb::RangeResponse rangeAll(KvService& kv, bool serializable) {
  etcdserverpb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_range_end(std::string(1, '\0'));
  req.set_serializable(serializable);
  auto [st, resp] = call<etcdserverpb::RangeResponse>(
      [&](auto done) { kv.range(RequestContext(), req, std::move(done)); });
  REQUIRE(st.isOk());
  return resp;
}

}  // namespace

TEST_CASE("a member restarts with every write after snapshots and WAL release") {
  const std::string backend = GENERATE("memory", "wiredtiger");
  INFO("backend " << backend);
  TempDir dir;
  JsonLogger logger(LogLevel::Warn, {"stderr"});
  EmptyRegistry plugins(logger);
  constexpr int kKeys = 120;
  int64_t revisionBefore = 0;
  uint64_t termBefore = 0;
  {
    Server server(optionsFor(dir.path), makeBackend(backend), logger, plugins.registry);
    REQUIRE(server.start().isOk());
    KvService& kv = server.kv();
    for (int i = 0; i < kKeys; ++i) {
      putKey(kv, "k" + std::to_string(i), std::string(512, static_cast<char>('a' + i % 26)));
    }
    auto resp = rangeAll(kv, false);
    CHECK(resp.count() == kKeys);
    revisionBefore = resp.header().revision();
    termBefore = resp.header().raft_term();
    CHECK(revisionBefore == kKeys + 1);
    server.stop();
  }
  // Snapshots were taken and old segments released.
  int snaps = 0;
  for (const auto& e : fs::directory_iterator(dir.path / "member" / "snap")) {
    if (e.path().extension() == ".snap") ++snaps;
  }
  CHECK(snaps >= 1);
  {
    Server server(optionsFor(dir.path), makeBackend(backend), logger, plugins.registry);
    REQUIRE(server.start().isOk());
    KvService& kv = server.kv();
    for (bool serializable : {true, false}) {
      auto resp = rangeAll(kv, serializable);
      CHECK(resp.count() == kKeys);
      CHECK(resp.header().revision() == revisionBefore);
      CHECK(resp.header().raft_term() > termBefore);  // a new election
    }
    putKey(kv, "after", "restart");
    CHECK(rangeAll(kv, false).header().revision() == revisionBefore + 1);
  }
}

TEST_CASE("a request over --max-request-bytes is refused before raft") {
  TempDir dir;
  JsonLogger logger(LogLevel::Warn, {"stderr"});
  EmptyRegistry plugins(logger);
  auto opts = optionsFor(dir.path);
  opts.maxRequestBytes = 1024;
  Server server(opts, makeBackend("memory"), logger, plugins.registry);
  REQUIRE(server.start().isOk());
  KvService& kv = server.kv();
  etcdserverpb::PutRequest req;
  req.set_key("big");
  req.set_value(std::string(2000, 'x'));
  auto [st, resp] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(RequestContext(), req, std::move(done)); });
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(st.message() == "etcdserver: request is too large");
  CHECK(rangeAll(kv, false).count() == 0);
}

TEST_CASE("requests after stop fail with etcd's server stopped error") {
  TempDir dir;
  JsonLogger logger(LogLevel::Warn, {"stderr"});
  EmptyRegistry plugins(logger);
  Server server(optionsFor(dir.path), makeBackend("memory"), logger, plugins.registry);
  REQUIRE(server.start().isOk());
  KvService& kv = server.kv();
  server.stop();
  etcdserverpb::PutRequest req;
  req.set_key("k");
  auto [st, resp] = call<etcdserverpb::PutResponse>(
      [&](auto done) { kv.put(RequestContext(), req, std::move(done)); });
  CHECK(st.code() == StatusCode::Unavailable);
  CHECK(st.message() == "etcdserver: server stopped");
}

TEST_CASE("a data dir for another initial cluster is refused clearly") {
  TempDir dir;
  JsonLogger logger(LogLevel::Warn, {"stderr"});
  EmptyRegistry plugins(logger);
  auto opts = optionsFor(dir.path);
  opts.name = "other";
  Server server(opts, makeBackend("memory"), logger, plugins.registry);
  Status st = server.start();
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(st.message() == "couldn't find local name \"other\" in the initial cluster configuration");
}

TEST_CASE("compactions are answered, physical ones after the background deletion") {
  const std::string backend = GENERATE("memory", "wiredtiger");
  INFO("backend " << backend);
  TempDir dir;
  JsonLogger logger(LogLevel::Warn, {"stderr"});
  EmptyRegistry plugins(logger);
  Server server(optionsFor(dir.path), makeBackend(backend), logger, plugins.registry);
  REQUIRE(server.start().isOk());
  KvService& kv = server.kv();
  // Enough history that the compactor needs several batches.
  for (int i = 0; i < 2500; ++i) putKey(kv, "k" + std::to_string(i % 10), std::to_string(i));
  for (bool physical : {false, true}) {
    etcdserverpb::CompactionRequest req;
    req.set_revision(physical ? 2000 : 1000);
    req.set_physical(physical);
    auto [st, resp] = call<etcdserverpb::CompactionResponse>(
        [&](auto done) { kv.compact(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
    CHECK(resp.header().revision() == 2501);
  }
  etcdserverpb::RangeRequest old;
  old.set_key("k1");
  old.set_revision(1500);
  auto [st, resp] = call<etcdserverpb::RangeResponse>(
      [&](auto done) { kv.range(RequestContext(), old, std::move(done)); });
  CHECK(st.code() == StatusCode::OutOfRange);
  CHECK(st.message() == "etcdserver: mvcc: required revision has been compacted");
  CHECK(rangeAll(kv, false).count() == 10);
}
