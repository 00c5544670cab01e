// Raft: the consensus state machine behind RawNode. Internal to cairn_raft
// (RawNode is the API), but tests may inspect it through RawNode::status().
// Threads: none of its own and no locks; every field belongs to the thread
// that owns its RawNode (the server's raft loop), see raw_node.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "raft/config.h"
#include "raft/progress.h"
#include "raft/raft_log.h"
#include "raft/read_only.h"
#include "raft/ready.h"

namespace cairn::raft {

class Raft {
 public:
  explicit Raft(const Config& cfg);

  Status step(raftpb::Message m);
  void tick();
  raftpb::ConfState applyConfChange(const raftpb::ConfChange& cc);
  // Acknowledges a handled Ready (applied cursor, stable entries/snapshot).
  void advance(const Ready& rd);
  // Why a campaign request would be ignored right now (ok if it would run).
  Status canCampaign() const;

  SoftState softState() const { return SoftState{lead_, state_}; }
  raftpb::HardState hardState() const;
  raftpb::ConfState confState() const;

  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t lead() const { return lead_; }
  StateType state() const { return state_; }
  uint64_t leadTransferee() const { return leadTransferee_; }
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  const std::map<uint64_t, Progress>& progress() const { return prs_; }
  std::vector<raftpb::Message>& msgs() { return msgs_; }
  std::vector<ReadState>& readStates() { return readStates_; }
  bool hasProgress(uint64_t id) const { return prs_.count(id) != 0; }

  void becomeFollower(uint64_t term, uint64_t lead);

 private:
  // Marks a vote request that comes from a leadership transfer: it must not
  // be refused because of a live leader's lease.
  static constexpr const char* kCampaignTransfer = "CampaignTransfer";

  enum class CampaignType { PreElection, Election, Transfer };
  enum class VoteResult { Pending, Won, Lost };

  void becomeCandidate();
  void becomePreCandidate();
  void becomeLeader();
  void reset(uint64_t term);
  void resetRandomizedElectionTimeout();
  bool pastElectionTimeout() const { return electionElapsed_ >= randomizedElectionTimeout_; }
  bool promotable() const;

  void tickElection();
  void tickHeartbeat();

  void campaign(CampaignType t);
  VoteResult poll(uint64_t id, bool granted);
  void hup(CampaignType t);

  Status stepLeader(raftpb::Message& m);
  Status stepCandidate(raftpb::Message& m);
  Status stepFollower(raftpb::Message& m);
  void stepLeaderReadIndex(raftpb::Message& m);
  void handleAppendEntries(const raftpb::Message& m);
  void handleHeartbeat(const raftpb::Message& m);
  void handleSnapshot(const raftpb::Message& m);
  bool restore(const raftpb::Snapshot& s);

  void send(raftpb::Message m);
  void sendAppend(uint64_t to) { maybeSendAppend(to, true); }
  bool maybeSendAppend(uint64_t to, bool sendIfEmpty);
  void sendHeartbeat(uint64_t to, const std::string& ctx);
  void sendTimeoutNow(uint64_t to);
  void bcastAppend();
  void bcastHeartbeat();
  void bcastHeartbeatWithCtx(const std::string& ctx);
  bool maybeCommit();
  bool appendEntries(std::vector<raftpb::Entry> es);
  bool checkQuorumActive();
  void abortLeaderTransfer() { leadTransferee_ = kNone; }

  bool increaseUncommittedSize(const std::vector<raftpb::Entry>& ents);
  void reduceUncommittedSize(const std::vector<raftpb::Entry>& ents);

  size_t voterCount() const;
  size_t quorum() const { return voterCount() / 2 + 1; }
  void addNode(uint64_t id, bool isLearner);
  void removeNode(uint64_t id);
  void loadConfState(const raftpb::ConfState& cs);
  void stepDownAfterRemoval();

  const uint64_t id_;
  uint64_t term_ = 0;
  uint64_t vote_ = kNone;
  std::vector<ReadState> readStates_;
  RaftLog log_;
  const uint64_t maxMsgSize_;
  const uint64_t maxUncommittedSize_;
  const int maxInflight_;
  std::map<uint64_t, Progress> prs_;
  std::vector<uint64_t> matchScratch_;  // maybeCommit()'s, kept for its capacity
  StateType state_ = StateType::Follower;
  bool isLearner_ = false;
  std::map<uint64_t, bool> votes_;
  std::vector<raftpb::Message> msgs_;
  uint64_t lead_ = kNone;
  uint64_t leadTransferee_ = kNone;
  // Index of the last conf change proposed by this leader; a new one waits
  // until the application applied past it.
  uint64_t pendingConfIndex_ = 0;
  // Payload bytes appended by this leader and not yet committed.
  uint64_t uncommittedSize_ = 0;
  ReadOnly readOnly_;
  const ReadOnlyOption readOnlyOption_;
  int electionElapsed_ = 0;
  int heartbeatElapsed_ = 0;
  const bool checkQuorum_;
  const bool preVote_;
  const int heartbeatTimeout_;
  const int electionTimeout_;
  int randomizedElectionTimeout_ = 0;
  const bool disableProposalForwarding_;
  std::mt19937_64 rng_;
};

}  // namespace cairn::raft
