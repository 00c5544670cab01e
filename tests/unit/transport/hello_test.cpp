#include "transport/hello.h"

#include <catch2/catch.hpp>

#include "transport/backoff.h"

using namespace cairn::transport;

TEST_CASE("a hello round-trips and names cluster and both members and the lane") {
  Hello h{0x1c2d3e4f5a6b7c8dULL, 0x8e9ab0c1d2e3f405ULL, 7, Lane::Priority};
  const std::string bytes = encodeHello(h);
  REQUIRE(bytes.size() == kHelloBytes);
  Hello back;
  REQUIRE(decodeHello(bytes, &back));
  REQUIRE(back.clusterId == h.clusterId);
  REQUIRE(back.from == h.from);
  REQUIRE(back.to == h.to);
  REQUIRE(back.lane == Lane::Priority);
}

TEST_CASE("a hello of another protocol is refused") {
  std::string bytes = encodeHello(Hello{1, 2, 3, Lane::Bulk});
  SECTION("wrong magic") {
    bytes[0] = 'X';
    Hello back;
    REQUIRE_FALSE(decodeHello(bytes, &back));
  }
  SECTION("unknown lane") {
    bytes[32] = 7;
    Hello back;
    REQUIRE_FALSE(decodeHello(bytes, &back));
  }
  SECTION("short") {
    Hello back;
    REQUIRE_FALSE(decodeHello(bytes.substr(0, 20), &back));
  }
  SECTION("an HTTP request") {
    Hello back;
    REQUIRE_FALSE(decodeHello(
        std::string("GET /raft/stream HTTP/1.1\r\nHost: x:1").substr(0, kHelloBytes), &back));
  }
}

TEST_CASE("a hello reply carries the status and the accepting member's cluster id") {
  HelloReply r{HelloStatus::ClusterMismatch, 0xabcdef, {}, {}};
  HelloReply back;
  REQUIRE(decodeHelloReply(encodeHelloReply(r), &back));
  REQUIRE(back.status == HelloStatus::ClusterMismatch);
  REQUIRE(back.clusterId == 0xabcdef);
  std::string bad = encodeHelloReply(r);
  bad[0] = 9;
  REQUIRE_FALSE(decodeHelloReply(bad, &back));
}

TEST_CASE("heartbeats and votes take the priority lane and appends and snapshots the bulk one") {
  cairn::raftpb::Message m;
  for (auto t :
       {cairn::raftpb::MSG_HEARTBEAT, cairn::raftpb::MSG_HEARTBEAT_RESP, cairn::raftpb::MSG_VOTE,
        cairn::raftpb::MSG_VOTE_RESP, cairn::raftpb::MSG_PRE_VOTE, cairn::raftpb::MSG_PRE_VOTE_RESP,
        cairn::raftpb::MSG_APP_RESP, cairn::raftpb::MSG_READ_INDEX,
        cairn::raftpb::MSG_READ_INDEX_RESP, cairn::raftpb::MSG_TIMEOUT_NOW}) {
    m.set_type(t);
    REQUIRE(laneOf(m) == Lane::Priority);
  }
  for (auto t : {cairn::raftpb::MSG_APP, cairn::raftpb::MSG_SNAP, cairn::raftpb::MSG_PROP}) {
    m.set_type(t);
    REQUIRE(laneOf(m) == Lane::Bulk);
  }
}

TEST_CASE("backoff doubles up to its cap and starts over after a success") {
  using ms = std::chrono::milliseconds;
  Backoff b(ms(50), ms(300));
  REQUIRE(b.next() == ms(50));
  REQUIRE(b.next() == ms(100));
  REQUIRE(b.next() == ms(200));
  REQUIRE(b.next() == ms(300));
  REQUIRE(b.next() == ms(300));
  b.reset();
  REQUIRE(b.next() == ms(50));
}
