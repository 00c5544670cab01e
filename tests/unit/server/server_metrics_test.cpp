// The member's figures under etcd's metric names, in the registry plugins
// share (what /metrics renders).
#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "member_fixture.h"
#include "metrics/metrics_registry.h"
#include "server/json_logger.h"
#include "server/server.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

// The value of an unlabelled series in Prometheus text, or -1.
double valueOf(const std::string& text, const std::string& series) {
  std::smatch m;
  const std::regex line("(^|\n)" + series + " ([^\n]+)\n");
  if (!std::regex_search(text, m, line)) return -1;
  return std::stod(m[2].str());
}

// A started single member whose figures land in `registry`.
struct MeteredMember {
  TempDir dir;
  JsonLogger logger{LogLevel::Error, {"stderr"}};
  EmptyRegistry plugins{logger};
  metrics::MetricsRegistry registry;
  Server server{fastMemberOptions(dir.path), makeBackend("memory"), logger, plugins.registry,
                &registry};
  MeteredMember() { REQUIRE(server.start().isOk()); }
};

}  // namespace

TEST_CASE("the member reports leadership, proposals and WAL fsyncs under etcd's names",
          "[metrics]") {
  MeteredMember m;
  Server& server = m.server;
  metrics::MetricsRegistry& registry = m.registry;

  for (int i = 0; i < 5; ++i) {
    etcdserverpb::PutRequest req;
    req.set_key("k" + std::to_string(i));
    req.set_value("v");
    auto [st, resp] = call<etcdserverpb::PutResponse>(
        [&](auto done) { server.kv().put(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
  }
  const std::string text = registry.render();
  INFO(text);
  CHECK(valueOf(text, "etcd_server_has_leader") == 1);
  CHECK(valueOf(text, "etcd_server_is_leader") == 1);
  CHECK(valueOf(text, "etcd_server_leader_changes_seen_total") == 1);
  // The leader's empty entry and the bootstrap conf change come first.
  CHECK(valueOf(text, "etcd_server_proposals_committed_total") >= 5);
  CHECK(valueOf(text, "etcd_server_proposals_applied_total") >= 5);
  CHECK(valueOf(text, "etcd_server_proposals_applied_total") <=
        valueOf(text, "etcd_server_proposals_committed_total"));
  CHECK(valueOf(text, "etcd_server_proposals_pending") == 0);
  CHECK(valueOf(text, "etcd_server_proposals_failed_total") == 0);
  CHECK(valueOf(text, "etcd_disk_wal_fsync_duration_seconds_count") >= 5);
  CHECK(text.find("# TYPE etcd_disk_wal_fsync_duration_seconds histogram\n") != std::string::npos);

  server.stop();
}

TEST_CASE("a watcher whose client stops reading is counted as slow until it catches up",
          "[metrics][watch]") {
  MeteredMember m;
  Server& server = m.server;
  metrics::MetricsRegistry& registry = m.registry;

  std::unique_ptr<WatchSession> session = server.watch().open(RequestContext(), [] {});
  etcdserverpb::WatchRequest create;
  create.mutable_create_request()->set_key("s/");
  create.mutable_create_request()->set_range_end("s0");
  session->request(create);
  // 2 MiB of events, twice what a stream may hold queued: nothing is read.
  const std::string value(32 * 1024, 'v');
  for (int i = 0; i < 64; ++i) {
    etcdserverpb::PutRequest req;
    req.set_key("s/" + std::to_string(i));
    req.set_value(value);
    auto [st, resp] = call<etcdserverpb::PutResponse>(
        [&](auto done) { server.kv().put(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
  }
  std::string text = registry.render();
  CHECK(valueOf(text, "etcd_debugging_mvcc_watcher_total") == 1);
  CHECK(valueOf(text, "etcd_debugging_mvcc_slow_watcher_total") == 1);

  // Reading everything lets the watcher catch up and be synced again.
  std::size_t events = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (events < 64 && std::chrono::steady_clock::now() < deadline) {
    etcdserverpb::WatchResponse r;
    if (session->poll(&r)) {
      events += static_cast<std::size_t>(r.events_size());
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  CHECK(events == 64);
  text = registry.render();
  CHECK(valueOf(text, "etcd_debugging_mvcc_slow_watcher_total") == 0);
  session->close();
  server.stop();
}

TEST_CASE("proposals failing at stop are counted as failed", "[metrics]") {
  WaitRegistry waiters;
  metrics::MetricsRegistry registry;
  Gauge* pending = registry.gauge("p", "p");
  Counter* failed = registry.counter("f_total", "f");
  waiters.observe(pending, failed);
  int answered = 0;
  const auto far = WaitRegistry::Clock::now() + std::chrono::hours(1);
  waiters.add(
      1, [&](ApplyResult&&) { ++answered; }, far);
  waiters.add(
      2, [&](ApplyResult&&) { ++answered; }, far);
  waiters.add(
      3, [&](ApplyResult&&) { ++answered; }, far);
  CHECK(pending->value() == 3);
  waiters.trigger(1, ApplyResult{});  // applied: not a failure
  CHECK(pending->value() == 2);
  waiters.fail(2, Status(Error::NoLeader));
  waiters.fail(99, Status(Error::NoLeader));  // unknown: nothing counted
  waiters.failAll(Status(Error::Stopped));
  CHECK(answered == 3);
  CHECK(pending->value() == 0);
  CHECK(failed->value() == 2);
}
