// The SDK facets the member offers besides KV/Lease/Watch: Events
// (applied-event and leadership subscriptions), Cluster and Maintenance.
#include <openssl/sha.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"
#include "snapshot/bbolt_reader.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;
using namespace std::chrono_literals;

namespace {

etcdserverpb::PutResponse put(Server& server, const std::string& key) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value("v");
  auto [st, resp] = call<etcdserverpb::PutResponse>(
      [&](auto done) { server.kv().put(RequestContext(), req, std::move(done)); });
  REQUIRE(st.isOk());
  return resp;
}

// Leadership states seen by a subscriber, with a wait for a condition.
struct LeadershipLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Leadership> seen;
  void add(const Leadership& l) {
    std::lock_guard lk(mu);
    seen.push_back(l);
    cv.notify_all();
  }
  bool waitFor(std::size_t count) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 5s, [&] { return seen.size() >= count; });
  }
};

}  // namespace

TEST_CASE("events: applied and leadership subscriptions fire and unsubscribe", "[events]") {
  TempDir dir;
  JsonLogger logger(LogLevel::Error, {"stderr"});
  EmptyRegistry plugins(logger);
  Server server(fastMemberOptions(dir.path), makeBackend("memory"), logger, plugins.registry);

  // Before start: told at once that no leader is known, then the election.
  LeadershipLog early;
  auto earlySub = server.events().subscribeLeadership([&](const Leadership& l) { early.add(l); });
  REQUIRE(early.seen.size() == 1);
  CHECK(early.seen[0].leaderId == 0);
  CHECK_FALSE(early.seen[0].isLeader);
  REQUIRE(server.start().isOk());
  REQUIRE(early.waitFor(2));
  {
    std::lock_guard lk(early.mu);
    CHECK(early.seen[1].leaderId == server.memberId());
    CHECK(early.seen[1].isLeader);
    CHECK(early.seen[1].term >= 1);
  }

  // After start: the current state at once, on the subscribing thread.
  LeadershipLog late;
  auto lateSub = server.events().subscribeLeadership([&](const Leadership& l) { late.add(l); });
  REQUIRE(late.seen.size() == 1);
  CHECK(late.seen[0].isLeader);
  CHECK(late.seen[0].leaderId == server.memberId());

  std::mutex mu;
  std::vector<std::pair<int64_t, std::vector<mvccpb::Event>>> applied;
  auto sub = server.events().subscribeApplied(
      [&](int64_t revision, const std::vector<mvccpb::Event>& events) {
        std::lock_guard lk(mu);
        applied.emplace_back(revision, events);
      });
  const auto first = put(server, "a");
  {
    // Published before the client is answered.
    std::lock_guard lk(mu);
    REQUIRE(applied.size() == 1);
    CHECK(applied[0].first == first.header().revision());
    REQUIRE(applied[0].second.size() == 1);
    CHECK(applied[0].second[0].type() == mvccpb::Event::PUT);
    CHECK(applied[0].second[0].kv().key() == "a");
  }
  sub.reset();
  put(server, "b");
  {
    std::lock_guard lk(mu);
    CHECK(applied.size() == 1);
  }
  // A leadership subscription stops too; stopping the member changes nothing it sees.
  lateSub.reset();
  earlySub.reset();
  server.stop();
  CHECK(late.seen.size() == 1);
}

TEST_CASE("cluster and maintenance facets describe the single member", "[cluster][maintenance]") {
  TempDir dir;
  JsonLogger logger(LogLevel::Error, {"stderr"});
  EmptyRegistry plugins(logger);
  Server server(fastMemberOptions(dir.path), makeBackend("memory"), logger, plugins.registry);
  REQUIRE(server.start().isOk());
  const auto written = put(server, "k");

  Cluster& cluster = server.cluster();
  CHECK(cluster.memberId() == server.memberId());
  CHECK(cluster.clusterId() == server.clusterId());
  CHECK(cluster.isLeader());
  CHECK(cluster.leaderId() == server.memberId());
  auto members = cluster.members();
  REQUIRE(members.size() == 1);
  CHECK(members[0].id == server.memberId());
  CHECK(members[0].name == "default");
  CHECK(members[0].peerUrls == std::vector<std::string>{"http://localhost:2380"});
  CHECK(members[0].clientUrls == std::vector<std::string>{"http://localhost:2379"});
  CHECK_FALSE(members[0].isLearner);

  auto [lst, list] = call<etcdserverpb::MemberListResponse>([&](auto done) {
    cluster.memberList(RequestContext(), etcdserverpb::MemberListRequest(), std::move(done));
  });
  REQUIRE(lst.isOk());
  CHECK(list.header().member_id() == server.memberId());
  // etcd's Cluster service fills no revision into its header.
  CHECK(list.header().revision() == 0);
  REQUIRE(list.members_size() == 1);
  CHECK(list.members(0).name() == "default");
  CHECK(list.members(0).peerurls(0) == "http://localhost:2380");

  Maintenance& maintenance = server.maintenance();
  auto [sst, status] = call<etcdserverpb::StatusResponse>([&](auto done) {
    maintenance.status(RequestContext(), etcdserverpb::StatusRequest(), std::move(done));
  });
  REQUIRE(sst.isOk());
  CHECK(status.version() == "3.4.23");
  CHECK(status.leader() == server.memberId());
  CHECK(status.raftterm() >= 1);
  CHECK(status.raftindex() >= status.raftappliedindex());
  CHECK(status.raftappliedindex() > 0);
  CHECK(status.dbsize() >= status.dbsizeinuse());
  CHECK(status.errors_size() == 0);
  CHECK_FALSE(status.islearner());
  CHECK(status.header().revision() == written.header().revision());

  auto [dst, defrag] = call<etcdserverpb::DefragmentResponse>([&](auto done) {
    maintenance.defragment(RequestContext(), etcdserverpb::DefragmentRequest(), std::move(done));
  });
  CHECK(dst.isOk());
  CHECK_FALSE(defrag.has_header());  // etcd answers defragment with an empty response

  auto hashAt = [&](int64_t rev) {
    etcdserverpb::HashKVRequest req;
    req.set_revision(rev);
    return call<etcdserverpb::HashKVResponse>(
        [&](auto done) { maintenance.hashKv(RequestContext(), req, std::move(done)); });
  };
  const int64_t rev = written.header().revision();
  auto [hst, current] = hashAt(0);
  REQUIRE(hst.isOk());
  CHECK(current.header().revision() == rev);
  CHECK(current.header().member_id() == server.memberId());
  CHECK(current.compact_revision() == -1);
  auto [hst2, explicitRev] = hashAt(rev);
  REQUIRE(hst2.isOk());
  CHECK(explicitRev.hash() == current.hash());
  auto [hst3, earlier] = hashAt(rev - 1);
  REQUIRE(hst3.isOk());
  CHECK(earlier.hash() != current.hash());
  auto [fst, future] = hashAt(rev + 1);
  CHECK(fst.is(Error::FutureRev));

  // Maintenance.Hash: the whole store at the current revision, stable while
  // nothing is written.
  auto wholeHash = [&] {
    return call<etcdserverpb::HashResponse>([&](auto done) {
      maintenance.hash(RequestContext(), etcdserverpb::HashRequest(), std::move(done));
    });
  };
  auto [hashSt, whole] = wholeHash();
  REQUIRE(hashSt.isOk());
  CHECK(whole.header().revision() == rev);
  CHECK(wholeHash().second.hash() == whole.hash());

  // Snapshot: etcd's bbolt database in blobs, then its SHA-256.
  std::mutex readyMu;
  std::condition_variable readyCv;
  bool ready = false;  // guarded by readyMu
  auto stream = maintenance.snapshot(RequestContext(), [&] {
    std::lock_guard lk(readyMu);
    ready = true;
    readyCv.notify_all();
  });
  stream->onMessage(etcdserverpb::SnapshotRequest());
  std::vector<etcdserverpb::SnapshotResponse> blobs;
  Status final;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (bool finished = false; !finished && std::chrono::steady_clock::now() < deadline;) {
    std::unique_ptr<google::protobuf::Message> msg;
    switch (stream->poll(&msg, &final)) {
      case StreamCall::Next::Idle: {
        std::unique_lock lk(readyMu);
        readyCv.wait_for(lk, 100ms, [&] { return ready; });
        ready = false;
        break;
      }
      case StreamCall::Next::Message:
        blobs.push_back(static_cast<const etcdserverpb::SnapshotResponse&>(*msg));
        break;
      case StreamCall::Next::Finished:
        finished = true;
        break;
    }
  }
  REQUIRE(final.isOk());
  REQUIRE(blobs.size() >= 2);
  std::string db;
  for (std::size_t i = 0; i + 1 < blobs.size(); ++i) db += blobs[i].blob();
  // remaining_bytes counts down to 0 as the blobs arrive; the digest's is 0.
  std::size_t sent = 0;
  for (std::size_t i = 0; i + 1 < blobs.size(); ++i) {
    sent += blobs[i].blob().size();
    CHECK(blobs[i].remaining_bytes() == db.size() - sent);
  }
  CHECK(blobs.back().remaining_bytes() == 0);
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(db.data()), db.size(), digest);
  CHECK(blobs.back().blob() == std::string(reinterpret_cast<const char*>(digest), 32));
  snapshot::BboltReader reader(
      [&](uint64_t off, std::size_t n, std::string* out) {
        *out = off < db.size() ? db.substr(off, n) : std::string();
        return Status::ok();
      },
      db.size());
  REQUIRE(reader.open().isOk());
  std::string lastKey;
  REQUIRE(reader
              .forEach("key",
                       [&](std::string_view k, std::string_view) {
                         lastKey = k;
                         return true;
                       })
              .isOk());
  // The newest revision in the key bucket is the store's current one.
  REQUIRE(lastKey.size() >= 8);
  int64_t lastRev = 0;
  for (int i = 0; i < 8; ++i) lastRev = (lastRev << 8) | static_cast<unsigned char>(lastKey[i]);
  CHECK(lastRev == rev);
  stream->close();
}
