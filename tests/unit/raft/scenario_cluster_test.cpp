// Scenario tests over the simulated network: learners, membership,
// snapshots, restarts, ReadIndex and flow control.
#include <catch2/catch.hpp>

#include "scenario_util.h"

using namespace cairn;
using namespace cairn::raft;
using namespace cairn::raft::test;

TEST_CASE("learners receive entries but neither vote nor count", "[raft][learner]") {
  Network net({1, 2, 3});
  net.elect(1);
  net.addEmptyNode(4);
  REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_ADD_LEARNER_NODE, 4)).isOk());
  net.handleReady(1);
  net.stabilize();
  REQUIRE(net.propose(1, "a").isOk());
  net.tickAll();
  net.stabilize();
  CHECK(net.sim(4).appliedData == std::vector<std::string>{"a"});
  CHECK(net.sim(1).confState.learners_size() == 1);
  CHECK(net.raw(1).status().progress.at(4).isLearner);

  // A learner cannot campaign, and never does on timeout.
  CHECK(net.raw(4).campaign().message() == kErrCampaignNotPromotable);
  net.isolate(4);
  net.tick(4, 100);
  CHECK(net.raw(4).state() == StateType::Follower);
  net.heal();

  // The leader plus a learner is not a quorum.
  net.cut(1, 2);
  net.cut(1, 3);
  uint64_t commit = net.raw(1).status().hardState.commit();
  REQUIRE(net.propose(1, "b").isOk());
  CHECK(net.raw(1).status().hardState.commit() == commit);
  net.heal();
  net.tickAll();
  net.stabilize();
  CHECK(net.sim(4).appliedData == std::vector<std::string>{"a", "b"});

  // Promotion makes it a voter that can lead.
  REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_ADD_NODE, 4)).isOk());
  net.handleReady(1);
  net.stabilize();
  CHECK(net.sim(4).confState.voters_size() == 4);
  CHECK(net.sim(4).confState.learners_size() == 0);
  net.raw(1).transferLeader(4);
  net.handleReady(1);
  net.stabilize();
  CHECK(net.leader() == 4);
}

TEST_CASE("add and remove nodes, including the leader", "[raft][membership]") {
  Network net({1, 2, 3});
  net.elect(1);
  net.addEmptyNode(4);
  REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_ADD_NODE, 4)).isOk());
  net.handleReady(1);
  net.stabilize();
  REQUIRE(net.propose(1, "a").isOk());
  net.tickAll();
  net.stabilize();
  CHECK(net.sim(4).appliedData == std::vector<std::string>{"a"});
  CHECK(net.sim(1).confState.voters_size() == 4);

  SECTION("only one pending conf change at a time") {
    net.cut(1, 2);
    net.cut(1, 3);
    net.cut(1, 4);
    REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_REMOVE_NODE, 3)).isOk());
    REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_REMOVE_NODE, 2)).isOk());
    net.handleReady(1);
    net.queue().clear();
    net.heal();
    net.tickAll();
    net.stabilize();
    // The second change was replaced by an empty entry.
    CHECK(net.sim(1).confState.voters_size() == 3);
    CHECK(net.sim(2).confState.voters_size() == 3);
  }
  SECTION("remove a follower: the smaller quorum commits") {
    REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_REMOVE_NODE, 4)).isOk());
    net.handleReady(1);
    net.stabilize();
    CHECK(net.sim(1).confState.voters_size() == 3);
    net.crash(3);
    REQUIRE(net.propose(1, "b").isOk());
    CHECK(net.sim(2).appliedData == std::vector<std::string>{"a", "b"});
  }
  SECTION("remove the leader: it steps down and the rest carry on") {
    REQUIRE(net.raw(1).proposeConfChange(confChange(raftpb::CONF_CHANGE_REMOVE_NODE, 1)).isOk());
    net.handleReady(1);
    net.stabilize();
    CHECK(net.raw(1).state() == StateType::Follower);
    CHECK(net.raw(1).campaign().message() == kErrCampaignNotPromotable);
    uint64_t l = net.leader();
    if (l == kNone) l = tickUntilLeader(net);
    REQUIRE(l != kNone);
    REQUIRE(l != 1);
    REQUIRE(net.propose(l, "b").isOk());
    CHECK(net.sim(2).appliedData == std::vector<std::string>{"a", "b"});
    CHECK(net.sim(l).confState.voters_size() == 3);
  }
}

TEST_CASE("snapshot to a lagging follower", "[raft][snapshot]") {
  Network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 20; i++) REQUIRE(net.propose(1, "v" + std::to_string(i)).isOk());
  net.compact(1);
  net.compact(2);
  REQUIRE(net.sim(1).storage->firstIndex() > net.sim(3).storage->lastIndex() + 1);
  net.heal();
  int snaps = 0;
  net.setFilter([&snaps](const raftpb::Message& m) {
    if (m.type() == raftpb::MSG_SNAP) snaps++;
    return false;
  });
  net.tickAll();
  net.stabilize();
  REQUIRE(net.propose(1, "after").isOk());
  CHECK(snaps >= 1);
  requireSameState(net, {1, 2, 3});
  CHECK(net.sim(3).storage->firstIndex() == net.sim(1).storage->firstIndex());
  CHECK(net.sim(3).appliedData == std::vector<std::string>{"after"});
  auto pr = net.raw(1).status().progress.at(3);
  CHECK(pr.state == ProgressState::Replicate);
  CHECK(pr.match == net.sim(1).storage->lastIndex());
}

TEST_CASE("a failed snapshot send is retried", "[raft][snapshot]") {
  Network net({1, 2, 3});
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 5; i++) REQUIRE(net.propose(1, "v" + std::to_string(i)).isOk());
  net.compact(1);
  net.heal();
  int dropped = 0;
  net.setFilter([&dropped](const raftpb::Message& m) {
    return m.type() == raftpb::MSG_SNAP && dropped++ == 0;
  });
  for (int i = 0; i < 5; i++) {
    net.tickAll();
    net.stabilize();
  }
  CHECK(dropped >= 2);
  requireSameState(net, {1, 2, 3});
}

TEST_CASE("restarted follower catches up from its storage", "[raft][restart]") {
  Network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  net.crash(3);
  REQUIRE(net.propose(1, "b").isOk());
  net.restart(3);
  CHECK(net.raw(3).term() == net.raw(1).term());
  net.tickAll();
  net.stabilize();
  requireSameState(net, {1, 2, 3});
  CHECK(net.sim(3).appliedData == std::vector<std::string>{"a", "b"});
}

TEST_CASE("ReadIndex, safe mode", "[raft][readindex]") {
  Network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  uint64_t commit = net.raw(1).status().hardState.commit();

  // Batched: both requests are confirmed by heartbeat rounds.
  net.raw(1).readIndex("r1");
  net.raw(1).readIndex("r2");
  net.handleReady(1);
  CHECK(net.sim(1).readStates.empty());  // needs a heartbeat quorum first
  net.stabilize();
  REQUIRE(net.sim(1).readStates.size() == 2);
  CHECK(net.sim(1).readStates[0].requestCtx == "r1");
  CHECK(net.sim(1).readStates[1].index == commit);

  // From a follower: forwarded to the leader and answered back.
  net.raw(2).readIndex("f1");
  net.handleReady(2);
  net.stabilize();
  REQUIRE(net.sim(2).readStates.size() == 1);
  CHECK(net.sim(2).readStates[0].index == commit);

  // An isolated leader cannot confirm its leadership.
  net.isolate(1);
  net.raw(1).readIndex("r3");
  net.handleReady(1);
  net.stabilize();
  net.tick(1, 3);
  net.stabilize();
  CHECK(net.sim(1).readStates.size() == 2);
}

TEST_CASE("ReadIndex, lease based", "[raft][readindex]") {
  Network net({1, 2, 3}, [](Config& c) {
    c.checkQuorum = true;
    c.readOnlyOption = ReadOnlyOption::LeaseBased;
  });
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  net.queue().clear();
  net.isolate(1);
  // Answered from the lease without any message round.
  net.raw(1).readIndex("r1");
  net.handleReady(1);
  REQUIRE(net.sim(1).readStates.size() == 1);
  CHECK(net.sim(1).readStates[0].index == net.raw(1).status().hardState.commit());
}

TEST_CASE("proposals are dropped without a leader", "[raft][proposal]") {
  Network net({1, 2, 3});
  CHECK(net.raw(1).propose("a").message() == kErrProposalDropped);
  net.elect(1);
  CHECK(net.raw(2).propose("a").isOk());
  Network noForward({1, 2, 3}, [](Config& c) { c.disableProposalForwarding = true; });
  noForward.elect(1);
  CHECK(noForward.raw(2).propose("a").message() == kErrProposalDropped);
}

TEST_CASE("uncommitted size limit drops proposals", "[raft][flow]") {
  Network net({1, 2, 3}, [](Config& c) { c.maxUncommittedEntriesSize = 100; });
  net.elect(1);
  net.isolate(1);
  std::string big(60, 'x');
  CHECK(net.raw(1).propose(big).isOk());
  CHECK(net.raw(1).propose(big).message() == kErrProposalDropped);
  net.heal();
  net.tickAll();
  net.stabilize();
  CHECK(net.raw(1).propose(big).isOk());
}

TEST_CASE("inflight window and message size bound replication", "[raft][flow]") {
  Network net({1, 2, 3}, [](Config& c) {
    c.maxInflightMsgs = 3;
    c.maxSizePerMsg = 1;  // one entry per MsgApp
  });
  net.elect(1);
  REQUIRE(net.propose(1, "warm").isOk());  // followers in replicate state
  net.queue().clear();
  for (int i = 0; i < 10; i++) {
    REQUIRE(net.raw(1).propose("p" + std::to_string(i)).isOk());
    net.handleReady(1);
  }
  int appsTo2 = 0;
  for (const auto& m : net.queue()) {
    if (m.to() == 2 && m.type() == raftpb::MSG_APP) {
      appsTo2++;
      CHECK(m.entries_size() <= 1);
    }
  }
  CHECK(appsTo2 == 3);
  net.stabilize();
  for (int i = 0; i < 5; i++) {
    net.tickAll();
    net.stabilize();
  }
  requireSameState(net, {1, 2, 3});
  CHECK(net.sim(2).appliedData.size() == 11);
}

TEST_CASE("unreachable report moves a follower back to probing", "[raft][flow]") {
  Network net({1, 2, 3});
  net.elect(1);
  REQUIRE(net.propose(1, "a").isOk());
  CHECK(net.raw(1).status().progress.at(2).state == ProgressState::Replicate);
  net.raw(1).reportUnreachable(2);
  CHECK(net.raw(1).status().progress.at(2).state == ProgressState::Probe);
}
