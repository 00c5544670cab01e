// TcpTransport instances in one process, talking over loopback: delivery
// and order per lane, the priority lane overtaking a saturated bulk lane,
// reconnection after a peer restarts, and the hello's refusals.
#include "transport/tcp_transport.h"

#include <catch2/catch.hpp>
#include <thread>

#include "transport_fixture.h"

using namespace cairn::transport;
using namespace cairn::testing;
namespace raftpb = cairn::raftpb;
using namespace std::chrono_literals;

TEST_CASE("messages reach their peer and in order within each lane") {
  Member a(1, 100), b(2, 100);
  link(a, 1, b, 2);
  std::vector<raftpb::Message> out;
  for (uint64_t i = 0; i < 500; ++i) {
    out.push_back(msg(raftpb::MSG_APP, 1, 2, i, 100));
    out.push_back(msg(raftpb::MSG_HEARTBEAT, 1, 2, i));
  }
  // In several Readys, as the raft loop hands them over.
  for (std::size_t at = 0; at < out.size(); at += 37) {
    std::vector<raftpb::Message> part(out.begin() + at,
                                      out.begin() + std::min(out.size(), at + 37));
    a.transport->send(std::move(part));
  }
  REQUIRE(b.waitFor([](const auto& got) { return got.size() == 1000; }));
  uint64_t nextApp = 0, nextBeat = 0;
  for (const auto& m : b.got) {
    REQUIRE(m.from() == 1);
    if (m.type() == raftpb::MSG_APP) {
      REQUIRE(m.index() == nextApp++);
    } else {
      REQUIRE(m.index() == nextBeat++);
    }
  }
  // And back the other way on b's own connections.
  b.transport->send({msg(raftpb::MSG_APP_RESP, 2, 1, 7)});
  REQUIRE(a.waitFor([](const auto& got) { return got.size() == 1; }));
  REQUIRE(a.got[0].index() == 7);
}

TEST_CASE("a heartbeat overtakes a backlog of large appends") {
  Member a(1, 100), b(2, 100);
  link(a, 1, b, 2);
  // Connected first, so the test measures lanes, not dialing.
  a.transport->send({msg(raftpb::MSG_APP, 1, 2, 0, 10), msg(raftpb::MSG_HEARTBEAT, 1, 2, 0)});
  REQUIRE(b.waitFor([](const auto& got) { return got.size() == 2; }));
  std::vector<raftpb::Message> appends;
  for (uint64_t i = 1; i <= 48; ++i) appends.push_back(msg(raftpb::MSG_APP, 1, 2, i, 1 << 20));
  a.transport->send(std::move(appends));
  a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, 1)});
  REQUIRE(b.waitFor([](const auto& got) { return got.size() == 2 + 48 + 1; }, 20000ms));
  std::size_t beatAt = 0, lastAppendAt = 0;
  for (std::size_t i = 0; i < b.got.size(); ++i) {
    if (b.got[i].type() == raftpb::MSG_HEARTBEAT && b.got[i].index() == 1) beatAt = i;
    if (b.got[i].type() == raftpb::MSG_APP && b.got[i].index() == 48) lastAppendAt = i;
  }
  REQUIRE(beatAt < lastAppendAt);
}

TEST_CASE("a peer that restarts is reached again and raft hears it was unreachable") {
  Member a(1, 100);
  auto b = std::make_unique<Member>(2, 100);
  const uint16_t port = b->port();
  link(a, 1, *b, 2);
  a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, 1)});
  REQUIRE(b->waitFor([](const auto& got) { return got.size() == 1; }));
  b->transport->stop();
  b.reset();
  // The broken connection is noticed (its pending read completes) and
  // reported without any message having to fail first.
  for (int i = 0; i < 200 && a.unreachable.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(a.unreachable.load() > 0);

  b = std::make_unique<Member>(2, 100, port);
  b->transport->addPeer(1, {a.url()});
  // Raft keeps sending heartbeats; once the stream is redialed they arrive.
  bool arrived = false;
  for (int i = 0; i < 250 && !arrived; ++i) {
    a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, 100 + i)});
    arrived = b->waitFor([](const auto& got) { return !got.empty(); }, 20ms);
  }
  REQUIRE(arrived);
}

TEST_CASE("members of different clusters refuse each other's connections") {
  Member a(1, 100), c(3, 200);
  link(a, 1, c, 3);
  for (int i = 0; i < 20; ++i) {
    a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 3, i)});
    std::this_thread::sleep_for(10ms);
  }
  for (int i = 0;
       i < 200 &&
       !a.logger.saw("request sent was ignored by remote peer due to cluster ID mismatch");
       ++i) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(a.logger.saw("request sent was ignored by remote peer due to cluster ID mismatch"));
  REQUIRE(c.logger.saw("request cluster ID mismatch"));
  REQUIRE(c.count() == 0);
  REQUIRE(a.unreachable.load() > 0);
}

TEST_CASE("a member that does not know the dialer refuses it") {
  Member a(1, 100), b(2, 100);
  a.transport->addPeer(2, {b.url()});  // b never adds a
  for (int i = 0; i < 20; ++i) {
    a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, i)});
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(b.count() == 0);
  REQUIRE(a.unreachable.load() > 0);
}

TEST_CASE("a member removed from the cluster is told so by the peers it dials") {
  Member a(1, 100);
  Member b(2, 100, 0, nullptr, [](uint64_t id) { return id == 1; });
  a.transport->addPeer(2, {b.url()});  // a missed its removal; b knows
  for (int i = 0; i < 200 && a.toldRemoved.load() == 0; ++i) {
    a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, i)});
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(a.toldRemoved.load() > 0);
  REQUIRE(b.logger.saw("rejected stream from remote peer because it was removed"));
  REQUIRE(a.logger.saw("failed to dial remote peer"));
  REQUIRE(b.count() == 0);
}

TEST_CASE("a snapshot is reported failed and never sent without a backend state to send") {
  Member a(1, 100), b(2, 100);  // no SnapshotIo (snapshot_transport_test has them)
  link(a, 1, b, 2);
  raftpb::Message snap = msg(raftpb::MSG_SNAP, 1, 2, 0);
  snap.mutable_snapshot()->mutable_metadata()->set_index(42);
  a.transport->send({snap, msg(raftpb::MSG_HEARTBEAT, 1, 2, 5)});
  // Dispatched in order: the snapshot was refused before the heartbeat left.
  REQUIRE(b.waitFor([](const auto& got) { return got.size() == 1; }));
  REQUIRE(a.snapshotsFailed.load() == 1);
  REQUIRE(b.got[0].type() == raftpb::MSG_HEARTBEAT);
}

TEST_CASE("messages to a removed peer are dropped") {
  Member a(1, 100), b(2, 100);
  link(a, 1, b, 2);
  a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, 1)});
  REQUIRE(b.waitFor([](const auto& got) { return got.size() == 1; }));
  a.transport->removePeer(2);
  a.transport->send({msg(raftpb::MSG_HEARTBEAT, 1, 2, 2)});
  std::this_thread::sleep_for(100ms);
  REQUIRE(b.count() == 1);
}

TEST_CASE("a listen address in use is refused with Go's wording") {
  Member a(1, 100);
  TcpTransportOptions o;
  o.localId = 2;
  o.clusterId = 100;
  o.listenUrls = {loopback(a.port())};
  CapturingLogger logger;
  TcpTransport t(o, logger);
  // SO_REUSEADDR does not allow two listeners on one port.
  cairn::Status st = t.start([](raftpb::Message&&) {}, {});
  REQUIRE_FALSE(st.isOk());
  REQUIRE(st.message() ==
          "listen tcp 127.0.0.1:" + std::to_string(a.port()) + ": bind: address already in use");
}
