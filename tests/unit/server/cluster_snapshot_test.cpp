// A follower cut off while the leader passes several --snapshot-count
// snapshots (and compacts its log past the follower) catches up by a raft
// snapshot carrying the leader's backend state, over the simulated network
// behind the transport seam; its state then equals the leader's (keys,
// revisions, leases, HashKV), it keeps applying, and it restarts from what
// it installed. Both storage backends.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "sim_cluster.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;
using namespace std::chrono_literals;

namespace {

etcdserverpb::RangeResponse everything(Server& s) {
  etcdserverpb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_range_end(std::string(1, '\0'));
  req.set_serializable(true);
  auto [st, resp] = call<etcdserverpb::RangeResponse>(
      [&](auto done) { s.kv().range(RequestContext(), req, std::move(done)); });
  REQUIRE(st.isOk());
  return resp;
}

etcdserverpb::HashKVResponse hashKv(Server& s, int64_t rev) {
  etcdserverpb::HashKVRequest req;
  req.set_revision(rev);
  auto [st, resp] = call<etcdserverpb::HashKVResponse>(
      [&](auto done) { s.maintenance().hashKv(RequestContext(), req, std::move(done)); });
  REQUIRE(st.isOk());
  return resp;
}

std::vector<int64_t> leaseIds(Server& s) {
  auto [st, resp] = call<etcdserverpb::LeaseLeasesResponse>([&](auto done) {
    s.lease().leases(RequestContext(), etcdserverpb::LeaseLeasesRequest(), std::move(done));
  });
  REQUIRE(st.isOk());
  std::vector<int64_t> ids;
  for (const auto& l : resp.leases()) ids.push_back(l.id());
  std::sort(ids.begin(), ids.end());
  return ids;
}

// A watch session on one member, read as a client would.
struct Watcher {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;  // guarded by mu
  std::unique_ptr<WatchSession> session;

  explicit Watcher(WatchService& svc) {
    session = svc.open(RequestContext(), [this] {
      std::lock_guard lk(mu);
      ready = true;
      cv.notify_all();
    });
  }
  ~Watcher() { session->close(); }
  void create(const std::string& key, const std::string& end) {
    etcdserverpb::WatchRequest req;
    req.mutable_create_request()->set_key(key);
    req.mutable_create_request()->set_range_end(end);
    session->request(req);
  }
  std::optional<etcdserverpb::WatchResponse> next(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      etcdserverpb::WatchResponse r;
      if (session->poll(&r)) return r;
      std::unique_lock lk(mu);
      if (!cv.wait_until(lk, deadline, [this] { return ready; })) {
        if (session->poll(&r)) return r;
        return std::nullopt;
      }
      ready = false;
    }
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("a follower behind the leader's compacted log catches up by snapshot", "[cluster]") {
  const std::string backend = GENERATE(as<std::string>(), "memory", "wiredtiger");
  TempDir logDir;
  std::filesystem::create_directories(logDir.path);
  const std::string logFile = (logDir.path / "members.log").string();
  SimCluster c(
      true,
      [](ServerOptions& o) {
        o.snapshotCount = 20;
        o.snapshotCatchUpEntries = 5;
      },
      backend, logFile);
  Server* leader = c.leader();
  REQUIRE(leader != nullptr);
  int lagging = 0;
  while (c.members[lagging].get() == leader) ++lagging;
  Server& follower = *c.members[lagging];
  REQUIRE(put(*leader, "before", "0").first.isOk());

  // A client watching on the follower from before it fell behind.
  // (closed before the follower restarts: a session belongs to its member)
  std::optional<Watcher> watcher;
  watcher.emplace(follower.watch());
  watcher->create("k", "l");
  auto created = watcher->next();
  REQUIRE(created.has_value());
  REQUIRE(created->created());

  c.net.isolate(follower.memberId());
  // Several snapshots (every 20 entries), the log compacted to 5 behind:
  // entries alone cannot bring the follower back.
  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(600);
  auto [gst, granted] = call<etcdserverpb::LeaseGrantResponse>(
      [&](auto done) { leader->lease().grant(RequestContext(), grant, std::move(done)); });
  REQUIRE(gst.isOk());
  for (int i = 0; i < 120; ++i) {
    etcdserverpb::PutRequest req;
    req.set_key("k" + std::to_string(i % 40));
    req.set_value("v" + std::to_string(i));
    if (i % 10 == 0) req.set_lease(granted.id());
    auto [st, resp] = call<etcdserverpb::PutResponse>(
        [&](auto done) { leader->kv().put(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
  }
  auto [lst, last] = put(*leader, "last", "x");
  REQUIRE(lst.isOk());
  const int64_t rev = last.header().revision();

  c.net.heal();
  bool caughtUp = false;
  for (int i = 0; i < 500 && !caughtUp; ++i) {
    auto [st, resp] = get(follower, "last", /*serializable=*/true);
    caughtUp = st.isOk() && resp.kvs_size() == 1;
    if (!caughtUp) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(caughtUp);
  // It got there by the leader's snapshot (the only member that could);
  // the install logs its end after the keys became visible.
  std::string log;
  for (int i = 0; i < 200; ++i) {
    log = slurp(logFile);
    if (log.find("\"msg\":\"applied snapshot\"") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(log.find("\"msg\":\"applied incoming Raft snapshot\"") != std::string::npos);
  REQUIRE(log.find("\"msg\":\"applied snapshot\"") != std::string::npos);

  // The watcher resynchronised from the installed store (etcd's watchable
  // store restore): every event it missed, in order, none twice.
  std::vector<mvccpb::Event> events;
  while (events.size() < 120) {
    auto r = watcher->next();
    REQUIRE(r.has_value());
    REQUIRE_FALSE(r->canceled());
    for (const auto& e : r->events()) events.push_back(e);
  }
  REQUIRE(events.size() == 120);
  for (std::size_t i = 1; i < events.size(); ++i) {
    REQUIRE(events[i].kv().mod_revision() == events[i - 1].kv().mod_revision() + 1);
  }
  REQUIRE(events.back().kv().value() == "v119");

  // Every member holds the same keys at the same revisions, the same
  // leases and the same HashKV.
  const etcdserverpb::RangeResponse want = everything(*leader);
  REQUIRE(want.kvs_size() == 42);  // before, k0..k39, last
  for (auto& m : c.members) {
    const etcdserverpb::RangeResponse got = everything(*m);
    REQUIRE(got.header().revision() == rev);
    REQUIRE(got.kvs_size() == want.kvs_size());
    for (int i = 0; i < want.kvs_size(); ++i) {
      REQUIRE(got.kvs(i).SerializeAsString() == want.kvs(i).SerializeAsString());
    }
    REQUIRE(leaseIds(*m) == std::vector<int64_t>{granted.id()});
    REQUIRE(hashKv(*m, rev).hash() == hashKv(*leader, rev).hash());
  }

  // It goes on applying, and restarts from what it installed.
  REQUIRE(put(follower, "after", "1").first.isOk());
  watcher.reset();
  follower.stop();
  c.members[lagging].reset();
  c.members[lagging] = c.make(lagging);
  REQUIRE(c.members[lagging]->start().isOk());
  auto [ast, after] = get(*c.members[lagging], "after", /*serializable=*/true);
  REQUIRE(ast.isOk());
  REQUIRE(after.kvs_size() == 1);
  REQUIRE(everything(*c.members[lagging]).kvs_size() == 43);
}

TEST_CASE("a follower cut off twice installs a second snapshot over the first", "[cluster]") {
  const std::string backend = GENERATE(as<std::string>(), "memory", "wiredtiger");
  SimCluster c(
      true,
      [](ServerOptions& o) {
        o.snapshotCount = 20;
        o.snapshotCatchUpEntries = 5;
      },
      backend);
  Server* leader = c.leader();
  REQUIRE(leader != nullptr);
  int lagging = 0;
  while (c.members[lagging].get() == leader) ++lagging;
  Server& follower = *c.members[lagging];
  for (int round = 0; round < 2; ++round) {
    c.net.isolate(follower.memberId());
    for (int i = 0; i < 60; ++i) {
      REQUIRE(
          put(*leader, "r" + std::to_string(round) + "-" + std::to_string(i), "v").first.isOk());
    }
    const std::string last = "last" + std::to_string(round);
    REQUIRE(put(*leader, last, "x").first.isOk());
    c.net.heal();
    bool caughtUp = false;
    for (int i = 0; i < 500 && !caughtUp; ++i) {
      auto [st, resp] = get(follower, last, /*serializable=*/true);
      caughtUp = st.isOk() && resp.kvs_size() == 1;
      if (!caughtUp) std::this_thread::sleep_for(10ms);
    }
    REQUIRE(caughtUp);
  }
  REQUIRE(everything(follower).kvs_size() == everything(*leader).kvs_size());
  REQUIRE(everything(follower).header().revision() == everything(*leader).header().revision());
}
