// Three members in one process over a simulated network (the transport
// seam): a leader is elected, any member serves writes and linearizable
// reads, a leader cut off from the others steps down and never answers a
// stale linearizable read, and catches up once the network heals.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "sim_cluster.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;
using namespace std::chrono_literals;

TEST_CASE("a simulated 3-member cluster has one leader and serves writes and reads on any member",
          "[cluster]") {
  SimCluster c;
  Server* leader = c.leader();
  REQUIRE(leader != nullptr);
  for (auto& m : c.members) {
    REQUIRE(m->cluster().leaderId() == leader->memberId());
    REQUIRE(m->cluster().members().size() == 3);
    REQUIRE(m->clusterId() == c.members[0]->clusterId());
  }
  // Every member published its name and client URL. Each member serves once
  // its own publish applied; member 0 may apply the others' a moment later.
  auto allPublished = [&] {
    for (const MemberInfo& info : c.members[0]->cluster().members()) {
      if (info.name.empty()) return false;
    }
    return true;
  };
  for (int i = 0; i < 500 && !allPublished(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const MemberInfo& info : c.members[0]->cluster().members()) {
    REQUIRE_FALSE(info.name.empty());
    REQUIRE(info.clientUrls.size() == 1);
  }
  int n = 0;
  for (auto& writer : c.members) {
    const std::string key = "k" + std::to_string(n++);
    auto [st, resp] = put(*writer, key, "v");
    REQUIRE(st.isOk());
    REQUIRE(resp.header().member_id() == writer->memberId());
    for (auto& reader : c.members) {
      auto [rst, rresp] = get(*reader, key);
      REQUIRE(rst.isOk());
      REQUIRE(rresp.kvs_size() == 1);
      REQUIRE(rresp.header().revision() == resp.header().revision());
    }
  }
}

TEST_CASE("a leader cut off from the majority steps down and the rest elect another and go on",
          "[cluster]") {
  SimCluster c;
  Server* old = c.leader();
  REQUIRE(old != nullptr);
  REQUIRE(put(*old, "before", "1").first.isOk());
  c.net.isolate(old->memberId());

  // The majority elects a new leader and keeps serving writes.
  Server* fresh = nullptr;
  for (int i = 0; i < 300 && fresh == nullptr; ++i) {
    for (auto& m : c.members) {
      if (m.get() != old && m->cluster().isLeader()) fresh = m.get();
    }
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(fresh != nullptr);
  REQUIRE(put(*fresh, "during", "2").first.isOk());
  // Check-quorum: the old leader gave up leadership, and a linearizable read
  // on it fails rather than answering without "during".
  for (int i = 0; i < 300 && old->cluster().isLeader(); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE_FALSE(old->cluster().isLeader());
  auto [st, stale] = get(*old, "during");
  REQUIRE_FALSE(st.isOk());
  REQUIRE((st.is(Error::Timeout) || st.is(Error::NoLeader) || st.is(Error::LeaderChanged)));

  c.net.heal();
  bool caughtUp = false;
  for (int i = 0; i < 300 && !caughtUp; ++i) {
    auto [rst, resp] = get(*old, "during");
    caughtUp = rst.isOk() && resp.kvs_size() == 1;
    if (!caughtUp) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(caughtUp);
}

TEST_CASE("a restarted member re-applying its membership never leads alone", "[cluster]") {
  SimCluster c;
  REQUIRE(c.leader() != nullptr);
  // The member with the smallest id is the first voter its log re-applies:
  // for a moment its configuration holds only itself.
  int first = 0;
  for (int i = 1; i < SimCluster::kSize; ++i) {
    if (c.members[i]->memberId() < c.members[first]->memberId()) first = i;
  }
  // Down while the others go on: it comes back with a stale log.
  c.members[first]->stop();
  Server& other = *c.members[(first + 1) % SimCluster::kSize];
  bool written = false;
  for (int i = 0; i < 100 && !written; ++i) {
    written = put(other, "while-down", "v").first.isOk();
  }
  REQUIRE(written);
  c.members[first].reset();
  c.members[first] = c.make(first);
  REQUIRE(c.members[first]->start().isOk());
  Server& back = *c.members[first];
  // Had it led alone it would have overwritten what it missed.
  for (auto& m : c.members) {
    auto [rst, rresp] = get(*m, "while-down");
    REQUIRE(rst.isOk());
    REQUIRE(rresp.kvs_size() == 1);
  }
  auto [st, resp] = put(back, "after-restart", "v");
  REQUIRE(st.isOk());
  for (auto& m : c.members) {
    auto [rst, rresp] = get(*m, "after-restart");
    REQUIRE(rst.isOk());
    REQUIRE(rresp.kvs_size() == 1);
  }
  Server* leader = c.leader();
  REQUIRE(leader != nullptr);
  for (auto& m : c.members) REQUIRE(m->cluster().leaderId() == leader->memberId());
}
