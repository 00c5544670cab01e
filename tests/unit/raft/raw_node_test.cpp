// RawNode used directly, the way the server's raft loop uses it.
#include "raft/raw_node.h"

#include <catch2/catch.hpp>

#include "raft/memory_storage.h"

using namespace cairn;
using namespace cairn::raft;

namespace {

// Persists and applies one Ready; returns the data of applied normal entries.
std::vector<std::string> handle(RawNode& n, MemoryStorage& st) {
  std::vector<std::string> applied;
  Ready rd = n.ready();
  REQUIRE(st.append(rd.entries).isOk());
  if (rd.hardStateChanged) st.setHardState(rd.hardState);
  for (const auto& e : rd.committedEntries) {
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      raftpb::ConfChange cc;
      REQUIRE(cc.ParseFromString(e.data()));
      n.applyConfChange(cc);
    } else if (!e.data().empty()) {
      applied.push_back(e.data());
    }
  }
  n.advance(rd);
  return applied;
}

Config singleConfig(MemoryStorage* st) {
  Config c;
  c.id = 1;
  c.storage = st;
  return c;
}

}  // namespace

TEST_CASE("config validation rejects bad configs", "[raft][config]") {
  MemoryStorage st;
  Config c = singleConfig(&st);
  CHECK(c.validate().isOk());
  Config bad = c;
  bad.id = kNone;
  CHECK_FALSE(bad.validate().isOk());
  bad = c;
  bad.electionTick = 1;
  CHECK_FALSE(bad.validate().isOk());
  bad = c;
  bad.storage = nullptr;
  CHECK_FALSE(bad.validate().isOk());
  bad = c;
  bad.readOnlyOption = ReadOnlyOption::LeaseBased;
  CHECK_FALSE(bad.validate().isOk());
  std::unique_ptr<RawNode> n;
  CHECK_FALSE(RawNode::create(bad, &n).isOk());
  CHECK_THROWS_AS(RawNode(bad), std::invalid_argument);
}

TEST_CASE("single voter: campaign makes it leader and proposals commit alone", "[raft][single]") {
  MemoryStorage st;
  RawNode n(singleConfig(&st));
  REQUIRE(n.bootstrap({1}).isOk());
  // Bootstrap entries must be applied before campaigning.
  CHECK(n.campaign().message() == kErrCampaignPendingConf);
  REQUIRE(n.hasReady());
  handle(n, st);
  REQUIRE(n.campaign().isOk());
  CHECK(n.state() == StateType::Leader);
  CHECK(n.lead() == 1);
  REQUIRE(n.hasReady());
  Ready rd = n.ready();
  REQUIRE(rd.softState.has_value());
  CHECK(rd.softState->state == StateType::Leader);
  CHECK(rd.hardState.term() == 2);
  CHECK(rd.mustSync);
  REQUIRE(st.append(rd.entries).isOk());
  st.setHardState(rd.hardState);
  n.advance(rd);

  REQUIRE(n.propose("hello").isOk());
  auto applied = handle(n, st);
  REQUIRE(applied == std::vector<std::string>{"hello"});
  CHECK_FALSE(n.hasReady());
  CHECK(st.hardState().commit() == st.lastIndex());
  NodeStatus s = n.status();
  CHECK(s.applied == st.lastIndex());
  CHECK(s.progress.size() == 1);

  // Read index on a single voter answers at once with the commit index.
  n.readIndex("r1");
  Ready r2 = n.ready();
  REQUIRE(r2.readStates.size() == 1);
  CHECK(r2.readStates[0].requestCtx == "r1");
  CHECK(r2.readStates[0].index == st.lastIndex());
  n.advance(r2);
}

TEST_CASE("proposeAll appends a group in order, or drops all of it", "[raft][single]") {
  MemoryStorage st;
  RawNode n(singleConfig(&st));
  REQUIRE(n.bootstrap({1}).isOk());
  handle(n, st);
  // Not leader yet, and no leader known: the whole group is dropped.
  CHECK(n.proposeAll({"a", "b"}).message() == kErrProposalDropped);
  CHECK(n.hasReady() == false);
  REQUIRE(n.campaign().isOk());
  handle(n, st);

  const uint64_t before = st.lastIndex();
  REQUIRE(n.proposeAll({"one", "two", "three"}).isOk());
  REQUIRE(n.propose("four").isOk());
  auto applied = handle(n, st);
  CHECK(applied == std::vector<std::string>{"one", "two", "three", "four"});
  CHECK(st.lastIndex() == before + 4);
  CHECK_FALSE(n.hasReady());
}

TEST_CASE("restart keeps term, vote and log", "[raft][single]") {
  MemoryStorage st;
  {
    RawNode n(singleConfig(&st));
    REQUIRE(n.bootstrap({1}).isOk());
    handle(n, st);
    REQUIRE(n.campaign().isOk());
    handle(n, st);
    REQUIRE(n.propose("a").isOk());
    handle(n, st);
  }
  // No snapshot was taken, so the configuration is rebuilt by re-applying
  // the log (applied stays 0).
  RawNode n(singleConfig(&st));
  CHECK(n.term() == 2);
  CHECK(n.state() == StateType::Follower);
  CHECK(n.status().hardState.vote() == 1);
  CHECK(n.campaign().message() == kErrCampaignNotPromotable);
  CHECK(handle(n, st) == std::vector<std::string>{"a"});
  CHECK_FALSE(n.hasReady());
  REQUIRE(n.campaign().isOk());
  CHECK(n.term() == 3);
  CHECK(n.state() == StateType::Leader);
}

TEST_CASE("step refuses local messages and responses from unknown peers", "[raft]") {
  MemoryStorage st;
  RawNode n(singleConfig(&st));
  REQUIRE(n.bootstrap({1}).isOk());
  raftpb::Message m;
  m.set_type(raftpb::MSG_HUP);
  CHECK(n.step(m).message() == kErrStepLocalMsg);
  m.set_type(raftpb::MSG_APP_RESP);
  m.set_from(9);
  m.set_term(1);
  CHECK(n.step(m).message() == kErrStepPeerNotFound);
}

TEST_CASE("bootstrap refuses empty voters and non-empty storage", "[raft]") {
  MemoryStorage st;
  RawNode n(singleConfig(&st));
  CHECK_FALSE(n.bootstrap({}).isOk());
  REQUIRE(n.bootstrap({1}).isOk());
  handle(n, st);
  RawNode again(singleConfig(&st));
  CHECK_FALSE(again.bootstrap({1}).isOk());
}
