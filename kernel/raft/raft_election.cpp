// Raft's elections: counting votes, campaigning (with pre-vote), and the
// candidate's step.
#include <algorithm>

#include "raft/raft.h"

namespace cairn::raft {

namespace {

using raftpb::Entry;
using raftpb::Message;
using raftpb::MessageType;

}  // namespace

Raft::VoteResult Raft::poll(uint64_t id, bool granted) {
  votes_.try_emplace(id, granted);
  size_t yes = 0, no = 0, voters = 0;
  for (const auto& [pid, pr] : prs_) {
    if (pr.isLearner) continue;
    voters++;
    auto it = votes_.find(pid);
    if (it == votes_.end()) continue;
    (it->second ? yes : no)++;
  }
  size_t q = voters / 2 + 1;
  if (yes >= q) return VoteResult::Won;
  if (voters - no < q) return VoteResult::Lost;
  return VoteResult::Pending;
}

void Raft::campaign(CampaignType t) {
  MessageType voteMsg;
  uint64_t term;
  if (t == CampaignType::PreElection) {
    becomePreCandidate();
    voteMsg = raftpb::MSG_PRE_VOTE;
    // Pre-votes ask for the term we would use, without moving to it.
    term = term_ + 1;
  } else {
    becomeCandidate();
    voteMsg = raftpb::MSG_VOTE;
    term = term_;
  }
  if (poll(id_, true) == VoteResult::Won) {
    // Single voter: won without asking anyone.
    if (t == CampaignType::PreElection) {
      campaign(CampaignType::Election);
    } else {
      becomeLeader();
    }
    return;
  }
  for (const auto& [id, pr] : prs_) {
    if (id == id_ || pr.isLearner) continue;
    Message m;
    m.set_to(id);
    m.set_term(term);
    m.set_type(voteMsg);
    m.set_index(log_.lastIndex());
    m.set_log_term(log_.lastTerm());
    if (t == CampaignType::Transfer) m.set_context(kCampaignTransfer);
    send(std::move(m));
  }
}

Status Raft::canCampaign() const {
  if (!promotable()) return Status(StatusCode::FailedPrecondition, kErrCampaignNotPromotable);
  // A conf change committed but not applied may change who votes; campaigning
  // with the old configuration could elect a leader the new one rejects.
  if (log_.committed() > log_.applied()) {
    std::vector<Entry> ents;
    Status s = log_.slice(log_.applied() + 1, log_.committed() + 1, kNoLimit, &ents);
    if (!s.isOk()) fatal("cannot get unapplied entries: " + s.message());
    for (const auto& e : ents) {
      if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
        return Status(StatusCode::FailedPrecondition, kErrCampaignPendingConf);
      }
    }
  }
  return Status::ok();
}

void Raft::hup(CampaignType t) {
  if (state_ == StateType::Leader) return;
  if (!canCampaign().isOk()) return;
  campaign(t);
}

Status Raft::stepCandidate(Message& m) {
  MessageType myVoteResp =
      state_ == StateType::PreCandidate ? raftpb::MSG_PRE_VOTE_RESP : raftpb::MSG_VOTE_RESP;
  switch (m.type()) {
    case raftpb::MSG_PROP:
      return errProposalDropped();
    case raftpb::MSG_APP:
      becomeFollower(m.term(), m.from());
      handleAppendEntries(m);
      return Status::ok();
    case raftpb::MSG_HEARTBEAT:
      becomeFollower(m.term(), m.from());
      handleHeartbeat(m);
      return Status::ok();
    case raftpb::MSG_SNAP:
      becomeFollower(m.term(), m.from());
      handleSnapshot(m);
      return Status::ok();
    default:
      break;
  }
  if (m.type() == myVoteResp) {
    switch (poll(m.from(), !m.reject())) {
      case VoteResult::Won:
        if (state_ == StateType::PreCandidate) {
          campaign(CampaignType::Election);
        } else {
          becomeLeader();
          bcastAppend();
        }
        break;
      case VoteResult::Lost:
        // A pre-vote response with a higher term already moved us to it.
        becomeFollower(term_, kNone);
        break;
      case VoteResult::Pending:
        break;
    }
  }
  // MsgTimeoutNow is ignored: we are already campaigning.
  return Status::ok();
}

}  // namespace cairn::raft
