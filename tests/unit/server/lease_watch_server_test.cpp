// Leases and watches through the kernel's services (no gRPC): raft-applied
// grants and revokes, key attachment, expiry on the leader, recovery after a
// restart, and watch sessions fed by the apply loop.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;
using namespace std::chrono_literals;

namespace {

// One running member with its frontends.
struct Member {
  JsonLogger logger{LogLevel::Error, {"stderr"}};
  EmptyRegistry plugins{logger};
  std::unique_ptr<Server> server;
  KvService* kv = nullptr;
  LeaseService* lease = nullptr;
  WatchService* watch = nullptr;

  Member(const fs::path& dir, const std::string& backend) {
    server = std::make_unique<Server>(fastMemberOptions(dir), makeBackend(backend), logger,
                                      plugins.registry);
    REQUIRE(server->start().isOk());
    kv = &server->kv();
    lease = &server->lease();
    watch = &server->watch();
  }
  ~Member() { server->stop(); }

  int64_t grant(int64_t ttl, int64_t id = 0) {
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(ttl);
    req.set_id(id);
    auto [st, resp] = call<etcdserverpb::LeaseGrantResponse>(
        [&](auto done) { lease->grant(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
    return resp.id();
  }
  std::pair<Status, etcdserverpb::PutResponse> put(const std::string& key, const std::string& value,
                                                   int64_t leaseId = 0) {
    etcdserverpb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    req.set_lease(leaseId);
    return call<etcdserverpb::PutResponse>(
        [&](auto done) { kv->put(RequestContext(), req, std::move(done)); });
  }
  etcdserverpb::RangeResponse get(const std::string& key, const std::string& end = "") {
    etcdserverpb::RangeRequest req;
    req.set_key(key);
    req.set_range_end(end);
    auto [st, resp] = call<etcdserverpb::RangeResponse>(
        [&](auto done) { kv->range(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
    return resp;
  }
  std::pair<Status, etcdserverpb::LeaseRevokeResponse> revoke(int64_t id) {
    etcdserverpb::LeaseRevokeRequest req;
    req.set_id(id);
    return call<etcdserverpb::LeaseRevokeResponse>(
        [&](auto done) { lease->revoke(RequestContext(), req, std::move(done)); });
  }
  etcdserverpb::LeaseTimeToLiveResponse timeToLive(int64_t id, bool keys = true) {
    etcdserverpb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(keys);
    auto [st, resp] = call<etcdserverpb::LeaseTimeToLiveResponse>(
        [&](auto done) { lease->timeToLive(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
    return resp;
  }
  std::size_t leaseCount() {
    etcdserverpb::LeaseLeasesRequest req;
    auto [st, resp] = call<etcdserverpb::LeaseLeasesResponse>(
        [&](auto done) { lease->leases(RequestContext(), req, std::move(done)); });
    REQUIRE(st.isOk());
    return static_cast<std::size_t>(resp.leases_size());
  }
  std::pair<Status, etcdserverpb::LeaseKeepAliveResponse> keepAlive(int64_t id) {
    etcdserverpb::LeaseKeepAliveRequest req;
    req.set_id(id);
    return call<etcdserverpb::LeaseKeepAliveResponse>(
        [&](auto done) { lease->keepAlive(RequestContext(), req, std::move(done)); });
  }
};

// A watch session with a blocking reader.
struct Watcher {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::unique_ptr<WatchSession> session;

  explicit Watcher(WatchService& svc) {
    session = svc.open(RequestContext(), [this] {
      std::lock_guard lk(mu);
      ready = true;
      cv.notify_all();
    });
  }
  ~Watcher() { session->close(); }

  void create(const std::string& key, const std::string& end = "", int64_t startRev = 0,
              bool prevKv = false) {
    etcdserverpb::WatchRequest req;
    auto* c = req.mutable_create_request();
    c->set_key(key);
    c->set_range_end(end);
    c->set_start_revision(startRev);
    c->set_prev_kv(prevKv);
    session->request(req);
  }
  // The next response, waiting up to `timeout`.
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
  // Events until `count` have arrived.
  std::vector<mvccpb::Event> events(std::size_t count) {
    std::vector<mvccpb::Event> out;
    while (out.size() < count) {
      auto r = next();
      REQUIRE(r.has_value());
      for (const auto& e : r->events()) out.push_back(e);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("lease: grant, attach, revoke deletes every key in one revision, watched as DELETEs",
          "[lease][watch]") {
  TempDir dir;
  Member m(dir.path, "memory");
  Watcher w(*m.watch);
  w.create("k", "l");  // [k, l)
  auto created = w.next();
  REQUIRE(created.has_value());
  CHECK(created->created());
  CHECK(created->header().member_id() == m.server->memberId());
  CHECK(created->header().cluster_id() == m.server->clusterId());

  const int64_t id = m.grant(60);
  CHECK(id > 0);
  REQUIRE(m.put("k1", "a", id).first.isOk());
  REQUIRE(m.put("k2", "b", id).first.isOk());
  auto [pst, last] = m.put("k3", "c");
  REQUIRE(pst.isOk());
  const int64_t before = last.header().revision();

  auto ttl = m.timeToLive(id);
  CHECK(ttl.grantedttl() == 60);
  CHECK(ttl.ttl() > 55);
  CHECK(ttl.ttl() <= 60);
  REQUIRE(ttl.keys_size() == 2);
  CHECK(ttl.keys(0) == "k1");
  CHECK(ttl.keys(1) == "k2");
  CHECK(m.get("k1").kvs(0).lease() == id);

  auto [rst, revoked] = m.revoke(id);
  REQUIRE(rst.isOk());
  CHECK(revoked.header().revision() == before + 1);
  auto left = m.get("k", "l");
  REQUIRE(left.kvs_size() == 1);
  CHECK(left.kvs(0).key() == "k3");

  auto ev = w.events(5);
  CHECK(ev[0].type() == mvccpb::Event::PUT);
  CHECK(ev[0].kv().lease() == id);
  CHECK(ev[3].type() == mvccpb::Event::DELETE);
  CHECK(ev[3].kv().key() == "k1");
  CHECK(ev[4].type() == mvccpb::Event::DELETE);
  CHECK(ev[4].kv().key() == "k2");
  CHECK(ev[3].kv().mod_revision() == before + 1);
  CHECK(ev[4].kv().mod_revision() == before + 1);

  SECTION("a revoked lease is gone everywhere") {
    auto [st, _] = m.revoke(id);
    CHECK(st.code() == StatusCode::NotFound);
    CHECK(st.message() == "etcdserver: requested lease not found");
    CHECK(m.timeToLive(id).ttl() == -1);
    auto [kst, ka] = m.keepAlive(id);
    CHECK(kst.isOk());
    CHECK(ka.ttl() == 0);
    CHECK(ka.id() == id);
    auto [put, __] = m.put("k9", "x", id);
    CHECK(put.code() == StatusCode::NotFound);
    CHECK(put.message() == "etcdserver: requested lease not found");
  }
}

TEST_CASE("lease: a key moved to another lease or off its lease follows it", "[lease]") {
  // A put does not read the key's previous value: the lessor's own record of
  // the key's lease decides what it is detached from.
  TempDir dir;
  Member m(dir.path, "wiredtiger");
  const int64_t a = m.grant(60);
  const int64_t b = m.grant(60);
  REQUIRE(m.put("moved", "1", a).first.isOk());
  REQUIRE(m.put("moved", "2", b).first.isOk());
  REQUIRE(m.put("dropped", "1", a).first.isOk());
  REQUIRE(m.put("dropped", "2").first.isOk());
  CHECK(m.timeToLive(a).keys_size() == 0);
  REQUIRE(m.timeToLive(b).keys_size() == 1);
  CHECK(m.timeToLive(b).keys(0) == "moved");
  REQUIRE(m.revoke(a).first.isOk());
  CHECK(m.get("moved").kvs_size() == 1);
  CHECK(m.get("dropped").kvs_size() == 1);
  REQUIRE(m.revoke(b).first.isOk());
  CHECK(m.get("moved").kvs_size() == 0);
  CHECK(m.get("dropped").kvs_size() == 1);
}

TEST_CASE("lease: client-chosen ids, duplicates, minimum and maximum TTL", "[lease]") {
  TempDir dir;
  Member m(dir.path, "memory");
  CHECK(m.grant(30, 42) == 42);
  etcdserverpb::LeaseGrantRequest dup;
  dup.set_id(42);
  dup.set_ttl(30);
  auto [st, _] = call<etcdserverpb::LeaseGrantResponse>(
      [&](auto done) { m.lease->grant(RequestContext(), dup, std::move(done)); });
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK(st.message() == "etcdserver: lease already exists");

  etcdserverpb::LeaseGrantRequest small;
  small.set_ttl(0);
  auto [sst, sresp] = call<etcdserverpb::LeaseGrantResponse>(
      [&](auto done) { m.lease->grant(RequestContext(), small, std::move(done)); });
  REQUIRE(sst.isOk());
  CHECK(sresp.ttl() == 1);  // minLeaseTtl(100 ms, 10 ms)

  etcdserverpb::LeaseGrantRequest big;
  big.set_ttl(9'000'000'001);
  auto [bst, __] = call<etcdserverpb::LeaseGrantResponse>(
      [&](auto done) { m.lease->grant(RequestContext(), big, std::move(done)); });
  CHECK(bst.code() == StatusCode::OutOfRange);
  CHECK(bst.message() == "etcdserver: too large lease TTL");

  etcdserverpb::LeaseLeasesRequest lr;
  auto [lst, leases] = call<etcdserverpb::LeaseLeasesResponse>(
      [&](auto done) { m.lease->leases(RequestContext(), lr, std::move(done)); });
  REQUIRE(lst.isOk());
  REQUIRE(leases.leases_size() == 2);
  // Soonest expiry first, as etcd lists them: the 1 s lease, then 42 (30 s).
  CHECK(leases.leases(0).id() == sresp.id());
  CHECK(leases.leases(1).id() == 42);
}

TEST_CASE("lease: expiry on the leader deletes the keys; keep-alives hold a lease", "[lease]") {
  TempDir dir;
  Member m(dir.path, "memory");
  Watcher w(*m.watch);
  w.create("e", "f");
  REQUIRE(w.next().has_value());

  const int64_t kept = m.grant(1);
  const int64_t dropped = m.grant(1);
  REQUIRE(m.put("e-kept", "1", kept).first.isOk());
  REQUIRE(m.put("e-dropped", "1", dropped).first.isOk());
  // Keep one lease alive for three TTLs.
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    auto [st, ka] = m.keepAlive(kept);
    REQUIRE(st.isOk());
    CHECK(ka.ttl() == 1);
    std::this_thread::sleep_for(250ms);
  }
  CHECK(m.get("e-kept").kvs_size() == 1);
  CHECK(m.get("e-dropped").kvs_size() == 0);
  CHECK(m.timeToLive(dropped).ttl() == -1);

  auto ev = w.events(3);
  CHECK(ev[2].type() == mvccpb::Event::DELETE);
  CHECK(ev[2].kv().key() == "e-dropped");

  // Without keep-alives it expires too, and a renewal racing the revoke
  // answers TTL 0 once the revoke applied.
  std::this_thread::sleep_for(1500ms);
  auto [st, ka] = m.keepAlive(kept);
  REQUIRE(st.isOk());
  CHECK(ka.ttl() == 0);
  CHECK(m.get("e-kept").kvs_size() == 0);
}

TEST_CASE("lease: thousands of leases expiring together are all revoked while writes go on",
          "[lease]") {
  TempDir dir;
  Member m(dir.path, "memory");
  constexpr int kLeases = 2000;
  std::vector<std::future<std::pair<Status, etcdserverpb::LeaseGrantResponse>>> grants;
  std::vector<std::shared_ptr<std::promise<std::pair<Status, etcdserverpb::LeaseGrantResponse>>>>
      promises;
  for (int i = 0; i < kLeases; ++i) {
    auto p = std::make_shared<std::promise<std::pair<Status, etcdserverpb::LeaseGrantResponse>>>();
    grants.push_back(p->get_future());
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(1);
    m.lease->grant(RequestContext(), req, [p](Status st, etcdserverpb::LeaseGrantResponse&& r) {
      p->set_value({st, std::move(r)});
    });
  }
  std::vector<int64_t> ids;
  for (auto& g : grants) {
    auto [st, r] = g.get();
    REQUIRE(st.isOk());
    ids.push_back(r.id());
  }
  for (int i = 0; i < kLeases; i += 10) {
    REQUIRE(m.put("bulk/" + std::to_string(i), "v", ids[i]).first.isOk());
  }
  // Writes keep being answered while the revokes drain (1,000 per second).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  int writes = 0;
  while (m.get("bulk/", "bulk0").kvs_size() > 0 || m.leaseCount() > 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    REQUIRE(m.put("other", std::to_string(writes++)).first.isOk());
    std::this_thread::sleep_for(20ms);
  }
  CHECK(writes > 0);
}

TEST_CASE("lease: leases and attachments survive a restart with at least their TTL", "[lease]") {
  const std::string backend = GENERATE("memory", "wiredtiger");
  INFO("backend " << backend);
  TempDir dir;
  int64_t id = 0;
  {
    Member m(dir.path, backend);
    id = m.grant(100);
    REQUIRE(m.put("r1", "a", id).first.isOk());
    REQUIRE(m.put("r2", "b", id).first.isOk());
    REQUIRE(m.put("r3", "c").first.isOk());
  }
  Member m(dir.path, backend);
  auto ttl = m.timeToLive(id);
  CHECK(ttl.grantedttl() == 100);
  CHECK(ttl.ttl() >= 99);
  REQUIRE(ttl.keys_size() == 2);
  auto [st, revoked] = m.revoke(id);
  REQUIRE(st.isOk());
  CHECK(m.get("r1").kvs_size() == 0);
  CHECK(m.get("r3").kvs_size() == 1);
}

TEST_CASE("watch: a past start revision replays history, then continues live", "[watch]") {
  TempDir dir;
  Member m(dir.path, "wiredtiger");
  int64_t first = 0;
  for (int i = 0; i < 5; ++i) {
    auto [st, r] = m.put("h", std::to_string(i));
    REQUIRE(st.isOk());
    if (i == 0) first = r.header().revision();
  }
  Watcher w(*m.watch);
  w.create("h", "", first + 1, /*prevKv=*/true);
  REQUIRE(w.next()->created());
  REQUIRE(m.put("h", "live").first.isOk());
  auto ev = w.events(5);
  for (int i = 0; i < 4; ++i) {
    CHECK(ev[i].kv().value() == std::to_string(i + 1));
    CHECK(ev[i].kv().mod_revision() == first + 1 + i);
    CHECK(ev[i].prev_kv().value() == std::to_string(i));
  }
  CHECK(ev[4].kv().value() == "live");
  CHECK(ev[4].prev_kv().value() == "4");
  CHECK_FALSE(w.next(300ms).has_value());

  SECTION("live prev_kv: read for the watchers that want it, only them") {
    Watcher plain(*m.watch);
    plain.create("h");
    REQUIRE(plain.next()->created());
    REQUIRE(m.put("h", "again").first.isOk());
    auto withPrev = w.events(1);
    CHECK(withPrev[0].prev_kv().value() == "live");
    auto without = plain.events(1);
    CHECK_FALSE(without[0].has_prev_kv());
    // A created key has no previous state.
    Watcher fresh(*m.watch);
    fresh.create("new", "", 0, /*prevKv=*/true);
    REQUIRE(fresh.next()->created());
    REQUIRE(m.put("new", "1").first.isOk());
    CHECK_FALSE(fresh.events(1)[0].has_prev_kv());
  }

  SECTION("cancel answers once; unknown ids get nothing") {
    etcdserverpb::WatchRequest cancel;
    cancel.mutable_cancel_request()->set_watch_id(0);
    w.session->request(cancel);
    auto r = w.next();
    REQUIRE(r.has_value());
    CHECK(r->canceled());
    w.session->request(cancel);
    CHECK_FALSE(w.next(300ms).has_value());
  }
}
