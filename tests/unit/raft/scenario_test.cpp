// Scenario tests over the simulated network: elections, replication,
// leadership transfer.
#include <catch2/catch.hpp>

#include "scenario_util.h"

using namespace cairn;
using namespace cairn::raft;
using namespace cairn::raft::test;

TEST_CASE("three nodes elect a leader by campaign and by timeout", "[raft][election]") {
  Network net({1, 2, 3});
  SECTION("campaign") {
    net.elect(1);
    CHECK(net.leader() == 1);
    CHECK(net.raw(2).lead() == 1);
    CHECK(net.raw(3).lead() == 1);
    CHECK(net.raw(1).term() == 2);
  }
  SECTION("timeout") {
    uint64_t l = tickUntilLeader(net);
    REQUIRE(l != kNone);
    for (uint64_t id : {1, 2, 3}) CHECK(net.raw(id).lead() == l);
  }
}

TEST_CASE("a candidate without a quorum does not win", "[raft][election]") {
  Network net({1, 2, 3, 4, 5});
  net.cut(1, 2);
  net.cut(1, 3);
  net.cut(1, 4);
  net.elect(1);
  CHECK(net.raw(1).state() == StateType::Candidate);
  CHECK(net.leader() == kNone);
}

TEST_CASE("re-election after the leader is isolated", "[raft][election]") {
  Network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  net.isolate(1);
  uint64_t newLeader = kNone;
  for (int i = 0; i < 100 && newLeader == kNone; i++) {
    net.tick(2);
    net.tick(3);
    net.stabilize();
    for (uint64_t id : {2, 3}) {
      if (net.raw(id).state() == StateType::Leader) newLeader = id;
    }
  }
  REQUIRE(newLeader != kNone);
  CHECK(net.raw(newLeader).term() > 2);
  // The old leader still believes it leads until it hears the new term.
  CHECK(net.raw(1).state() == StateType::Leader);
  net.heal();
  REQUIRE(net.propose(newLeader, "b").isOk());
  net.tickAll();
  net.stabilize();
  CHECK(net.raw(1).state() == StateType::Follower);
  CHECK(net.raw(1).lead() == newLeader);
  requireSameState(net, {1, 2, 3});
  CHECK(net.sim(1).appliedData == std::vector<std::string>{"a", "b"});
}

TEST_CASE("pre-vote keeps a rejoining partitioned node from disrupting", "[raft][prevote]") {
  for (bool preVote : {true, false}) {
    DYNAMIC_SECTION("preVote=" << preVote) {
      Network net({1, 2, 3}, [preVote](Config& c) { c.preVote = preVote; });
      net.elect(1);
      uint64_t term = net.raw(1).term();
      net.isolate(3);
      net.tick(3, 100);
      net.stabilize();
      if (preVote) {
        CHECK(net.raw(3).term() == term);
        CHECK(net.raw(3).state() == StateType::PreCandidate);
      } else {
        CHECK(net.raw(3).term() > term);
      }
      net.heal();
      net.tick(3, 30);
      net.tickAll();
      net.stabilize();
      REQUIRE(net.propose(net.leader(), "x").isOk());
      if (preVote) {
        // The leader was never disturbed.
        CHECK(net.leader() == 1);
        CHECK(net.raw(1).term() == term);
        CHECK(net.raw(3).lead() == 1);
      } else {
        // Without pre-vote the rejoining node's higher term forced an election.
        CHECK(net.raw(1).term() > term);
      }
      requireSameState(net, {1, 2, 3});
    }
  }
}

TEST_CASE("check-quorum makes an isolated leader step down", "[raft][checkquorum]") {
  Network net({1, 2, 3}, [](Config& c) { c.checkQuorum = true; });
  net.elect(1);
  net.isolate(1);
  // The first check-quorum round still sees the answers from the election;
  // the second one, an election timeout later, finds no one.
  net.tick(1, 10);
  CHECK(net.raw(1).state() == StateType::Leader);
  net.tick(1, 10);
  CHECK(net.raw(1).state() == StateType::Follower);
  CHECK(net.raw(1).lead() == kNone);
}

TEST_CASE("check-quorum followers ignore votes while they have a leader", "[raft][checkquorum]") {
  Network net({1, 2, 3}, [](Config& c) { c.checkQuorum = true; });
  net.elect(1);
  uint64_t term = net.raw(1).term();
  // Node 3 times out (e.g. it missed heartbeats) and campaigns.
  net.cut(1, 3);
  net.tick(3, 30);
  net.stabilize();
  CHECK(net.raw(3).state() == StateType::Candidate);
  // Node 2 heard from the leader recently and refuses; the leader survives.
  CHECK(net.leader() == 1);
  CHECK(net.raw(2).term() == term);
}

TEST_CASE("log replication and conflict resolution", "[raft][replication]") {
  Network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  REQUIRE(net.propose(2, "b").isOk());  // forwarded to the leader
  requireSameState(net, {1, 2, 3});
  CHECK(net.sim(3).appliedData == std::vector<std::string>{"a", "b"});

  // The leader appends entries that never reach anyone, then loses office.
  net.isolate(1);
  REQUIRE(net.raw(1).propose("lost1").isOk());
  REQUIRE(net.raw(1).propose("lost2").isOk());
  net.handleReady(1);
  net.stabilize();
  net.elect(2);
  REQUIRE(net.leader() == 2);
  REQUIRE(net.propose(2, "c").isOk());
  net.heal();
  net.tickAll();
  net.stabilize();
  REQUIRE(net.propose(2, "d").isOk());
  requireSameState(net, {1, 2, 3});
  CHECK(net.sim(1).appliedData == std::vector<std::string>{"a", "b", "c", "d"});
  // The conflicting entries were replaced in the old leader's storage too.
  CHECK(net.sim(1).storage->lastIndex() == net.sim(2).storage->lastIndex());
}

TEST_CASE("figure 8: entries of earlier terms commit only with a current-term entry",
          "[raft][commit]") {
  // One entry per MsgApp, so replication can be stopped between entries.
  Network net({1, 2, 3, 4, 5}, [](Config& c) { c.maxSizePerMsg = 1; });
  net.elect(1);
  uint64_t base = net.sim(1).storage->lastIndex();
  // Term 2: leader 1 replicates x to node 2 only.
  net.cut(1, 3);
  net.cut(1, 4);
  net.cut(1, 5);
  REQUIRE(net.propose(1, "x").isOk());
  CHECK(net.sim(2).storage->lastIndex() == base + 1);
  CHECK(net.raw(1).status().hardState.commit() == base);

  // Term 3: node 5 wins with votes from 3 and 4 but its entries go nowhere.
  net.isolate(1);
  net.cut(2, 5);
  net.setFilter(
      [](const raftpb::Message& m) { return m.from() == 5 && m.type() == raftpb::MSG_APP; });
  net.elect(5);
  REQUIRE(net.raw(5).state() == StateType::Leader);
  REQUIRE(net.raw(5).term() == 3);
  net.heal();
  net.isolate(5);

  // Term 4: node 1 comes back and wins with 2 and 3. Node 1 still thinks it
  // leads term 2; a restart makes it a follower.
  net.crash(1);
  net.restart(1);
  net.cut(1, 4);
  net.setFilter(
      [](const raftpb::Message& m) { return m.from() == 1 && m.type() == raftpb::MSG_APP; });
  net.elect(1);  // term 3: node 3 already voted for 5, so this one is lost
  if (net.raw(1).state() != StateType::Leader) net.elect(1);
  REQUIRE(net.raw(1).state() == StateType::Leader);
  uint64_t term = net.raw(1).term();
  REQUIRE(term >= 4);
  net.queue().clear();
  // Replicate to node 3 only: it gets x (and the new leader's empty entry).
  net.setFilter([](const raftpb::Message& m) { return m.from() == 1 && m.to() != 3; });
  net.tick(1);
  net.stabilize();
  uint64_t t = 0;
  REQUIRE(net.sim(3).storage->term(base + 1, &t).isOk());
  REQUIRE(t == 2);
  // Node 2 (which holds x) acknowledges base+1 at term 4. Now x (term 2) is
  // on nodes 1, 2 and 3, a majority, but counting replicas of an earlier
  // term's entry must not commit it.
  raftpb::Message ack;
  ack.set_type(raftpb::MSG_APP_RESP);
  ack.set_from(2);
  ack.set_to(1);
  ack.set_term(term);
  ack.set_index(base + 1);
  REQUIRE(net.raw(1).step(ack).isOk());
  net.handleReady(1);
  CHECK(net.raw(1).status().progress.at(2).match == base + 1);
  CHECK(net.raw(1).status().hardState.commit() == base);
  net.queue().clear();

  // Once the term-4 entry reaches a majority, both commit; node 5's
  // conflicting term-3 entry is overwritten.
  net.heal();
  net.tickAll();
  net.stabilize();
  REQUIRE(net.propose(1, "y").isOk());
  CHECK(net.raw(1).status().hardState.commit() >= base + 2);
  net.tickAll();
  net.stabilize();
  requireSameState(net, {1, 2, 3, 4, 5});
  CHECK(net.sim(5).appliedData == std::vector<std::string>{"x", "y"});
}

TEST_CASE("leader transfer", "[raft][transfer]") {
  Network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  SECTION("to an up-to-date follower") {
    net.raw(1).transferLeader(2);
    net.handleReady(1);
    net.stabilize();
    CHECK(net.leader() == 2);
    CHECK(net.raw(1).lead() == 2);
    REQUIRE(net.propose(2, "b").isOk());
    requireSameState(net, {1, 2, 3});
  }
  SECTION("to a lagging follower: caught up first") {
    net.isolate(3);
    REQUIRE(net.propose(1, "b").isOk());
    net.heal();
    net.raw(1).transferLeader(3);
    net.handleReady(1);
    net.stabilize();
    CHECK(net.leader() == 3);
    requireSameState(net, {1, 2, 3});
  }
  SECTION("proposals are dropped during a transfer, which times out") {
    net.isolate(3);
    net.raw(1).transferLeader(3);
    net.handleReady(1);
    net.stabilize();
    CHECK(net.raw(1).status().leadTransferee == 3);
    CHECK(net.raw(1).propose("b").message() == kErrProposalDropped);
    net.tick(1, 10);
    CHECK(net.raw(1).status().leadTransferee == kNone);
    CHECK(net.raw(1).propose("b").isOk());
  }
  SECTION("transfer via a follower request") {
    net.raw(3).transferLeader(3);
    net.handleReady(3);
    net.stabilize();
    CHECK(net.leader() == 3);
  }
}
