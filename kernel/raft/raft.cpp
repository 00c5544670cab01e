// Raft's core: construction, its state, the role changes and timers, and
// step(), which routes each message by term and role. Elections,
// replication, the leader's step and membership are in raft_*.cpp.
#include "raft/raft.h"

#include <algorithm>
#include <stdexcept>

namespace cairn::raft {

namespace {

using raftpb::Entry;
using raftpb::Message;
using raftpb::MessageType;

MessageType voteRespType(MessageType t) {
  return t == raftpb::MSG_VOTE ? raftpb::MSG_VOTE_RESP : raftpb::MSG_PRE_VOTE_RESP;
}

uint64_t payloadSize(const std::vector<Entry>& ents) {
  uint64_t s = 0;
  for (const auto& e : ents) s += e.data().size();
  return s;
}

Config checked(const Config& cfg) {
  Status s = cfg.validate();
  if (!s.isOk()) throw std::invalid_argument(s.message());
  return cfg;
}

}  // namespace

Raft::Raft(const Config& cfgIn)
    : id_(checked(cfgIn).id),
      log_(cfgIn.storage, cfgIn.maxCommittedSizePerReady == 0 ? cfgIn.maxSizePerMsg
                                                              : cfgIn.maxCommittedSizePerReady),
      maxMsgSize_(cfgIn.maxSizePerMsg),
      maxUncommittedSize_(cfgIn.maxUncommittedEntriesSize == 0 ? kNoLimit
                                                               : cfgIn.maxUncommittedEntriesSize),
      maxInflight_(cfgIn.maxInflightMsgs),
      readOnly_(cfgIn.readOnlyOption),
      readOnlyOption_(cfgIn.readOnlyOption),
      checkQuorum_(cfgIn.checkQuorum),
      preVote_(cfgIn.preVote),
      heartbeatTimeout_(cfgIn.heartbeatTick),
      electionTimeout_(cfgIn.electionTick),
      disableProposalForwarding_(cfgIn.disableProposalForwarding),
      // Mixing in the id keeps members that share a seed from timing out in
      // lockstep (which would split every vote).
      rng_(cfgIn.randomSeed ^ (cfgIn.id * 0x9E3779B97F4A7C15ULL)) {
  raftpb::HardState hs;
  raftpb::ConfState cs;
  Status s = cfgIn.storage->initialState(&hs, &cs);
  if (!s.isOk()) fatal("storage initialState: " + s.message());
  loadConfState(cs);
  if (hs.term() != 0 || hs.vote() != 0 || hs.commit() != 0) {
    if (hs.commit() < log_.committed() || hs.commit() > log_.lastIndex()) {
      fatal("hardstate commit " + std::to_string(hs.commit()) + " is out of range [" +
            std::to_string(log_.committed()) + ", " + std::to_string(log_.lastIndex()) + "]");
    }
    log_.commitTo(hs.commit());
    term_ = hs.term();
    vote_ = hs.vote();
  }
  if (cfgIn.applied > 0) log_.appliedTo(cfgIn.applied);
  becomeFollower(term_, kNone);
}

void Raft::loadConfState(const raftpb::ConfState& cs) {
  prs_.clear();
  for (uint64_t v : cs.voters()) prs_.insert_or_assign(v, Progress(1, maxInflight_, false));
  for (uint64_t l : cs.learners()) {
    if (prs_.count(l) != 0) fatal("node " + std::to_string(l) + " is both voter and learner");
    prs_.insert_or_assign(l, Progress(1, maxInflight_, true));
  }
  auto it = prs_.find(id_);
  isLearner_ = it != prs_.end() && it->second.isLearner;
}

raftpb::HardState Raft::hardState() const {
  raftpb::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return hs;
}

raftpb::ConfState Raft::confState() const {
  raftpb::ConfState cs;
  for (const auto& [id, pr] : prs_) {
    if (pr.isLearner) {
      cs.add_learners(id);
    } else {
      cs.add_voters(id);
    }
  }
  return cs;
}

size_t Raft::voterCount() const {
  size_t n = 0;
  for (const auto& [id, pr] : prs_) n += pr.isLearner ? 0 : 1;
  return n;
}

bool Raft::promotable() const {
  auto it = prs_.find(id_);
  return it != prs_.end() && !it->second.isLearner;
}

void Raft::send(Message m) {
  m.set_from(id_);
  MessageType t = m.type();
  if (t == raftpb::MSG_VOTE || t == raftpb::MSG_VOTE_RESP || t == raftpb::MSG_PRE_VOTE ||
      t == raftpb::MSG_PRE_VOTE_RESP) {
    // Vote messages carry the term they are about (for pre-votes, the term
    // the candidate would use), which may differ from ours.
    if (m.term() == 0) fatal("term should be set when sending " + std::to_string(t));
  } else {
    if (m.term() != 0) fatal("term should not be set when sending " + std::to_string(t));
    // Proposals and read requests forwarded to the leader are local requests
    // and carry no term, so they are never rejected as stale.
    if (t != raftpb::MSG_PROP && t != raftpb::MSG_READ_INDEX) m.set_term(term_);
  }
  msgs_.push_back(std::move(m));
}

bool Raft::increaseUncommittedSize(const std::vector<Entry>& ents) {
  uint64_t s = payloadSize(ents);
  // An empty budget always admits one proposal, however large, so a big
  // entry cannot be stuck forever.
  if (uncommittedSize_ > 0 && s > 0 && uncommittedSize_ + s > maxUncommittedSize_) return false;
  uncommittedSize_ += s;
  return true;
}

void Raft::reduceUncommittedSize(const std::vector<Entry>& ents) {
  if (state_ != StateType::Leader) return;
  uint64_t s = payloadSize(ents);
  // Entries from earlier terms may be committed too; never go below zero.
  uncommittedSize_ = s > uncommittedSize_ ? 0 : uncommittedSize_ - s;
}

void Raft::resetRandomizedElectionTimeout() {
  randomizedElectionTimeout_ =
      electionTimeout_ + static_cast<int>(rng_() % static_cast<uint64_t>(electionTimeout_));
}

void Raft::reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  electionElapsed_ = 0;
  heartbeatElapsed_ = 0;
  resetRandomizedElectionTimeout();
  abortLeaderTransfer();
  votes_.clear();
  uint64_t last = log_.lastIndex();
  for (auto& [id, pr] : prs_) {
    bool learner = pr.isLearner;
    pr = Progress(last + 1, maxInflight_, learner);
    if (id == id_) pr.match = last;
  }
  pendingConfIndex_ = 0;
  uncommittedSize_ = 0;
  readOnly_ = ReadOnly(readOnlyOption_);
}

void Raft::becomeFollower(uint64_t term, uint64_t lead) {
  reset(term);
  lead_ = lead;
  state_ = StateType::Follower;
}

void Raft::becomeCandidate() {
  if (state_ == StateType::Leader) fatal("invalid transition [leader -> candidate]");
  reset(term_ + 1);
  vote_ = id_;
  state_ = StateType::Candidate;
}

void Raft::becomePreCandidate() {
  if (state_ == StateType::Leader) fatal("invalid transition [leader -> pre-candidate]");
  // A pre-candidate changes neither term nor vote: losing costs nothing.
  votes_.clear();
  lead_ = kNone;
  state_ = StateType::PreCandidate;
}

void Raft::becomeLeader() {
  if (state_ == StateType::Follower) fatal("invalid transition [follower -> leader]");
  reset(term_);
  lead_ = id_;
  state_ = StateType::Leader;
  prs_.at(id_).becomeReplicate();
  // Conservatively treat any unapplied entry as a possible conf change, so a
  // new one waits until everything before our term is applied.
  pendingConfIndex_ = log_.lastIndex();
  // An empty entry of our term lets us commit (and learn the commit index of)
  // everything from earlier terms.
  if (!appendEntries({Entry()})) fatal("empty entry was dropped");
}

void Raft::tick() {
  if (state_ == StateType::Leader) {
    tickHeartbeat();
  } else {
    tickElection();
  }
}

void Raft::tickElection() {
  electionElapsed_++;
  if (promotable() && pastElectionTimeout()) {
    electionElapsed_ = 0;
    Message m;
    m.set_from(id_);
    m.set_type(raftpb::MSG_HUP);
    step(m);
  }
}

void Raft::tickHeartbeat() {
  heartbeatElapsed_++;
  electionElapsed_++;
  if (electionElapsed_ >= electionTimeout_) {
    electionElapsed_ = 0;
    if (checkQuorum_) {
      Message m;
      m.set_from(id_);
      m.set_type(raftpb::MSG_CHECK_QUORUM);
      step(m);
    }
    // A transfer that did not finish within an election timeout is abandoned
    // so the leader accepts proposals again.
    if (state_ == StateType::Leader && leadTransferee_ != kNone) abortLeaderTransfer();
  }
  if (state_ != StateType::Leader) return;
  if (heartbeatElapsed_ >= heartbeatTimeout_) {
    heartbeatElapsed_ = 0;
    Message m;
    m.set_from(id_);
    m.set_type(raftpb::MSG_BEAT);
    step(m);
  }
}

Status Raft::step(Message m) {
  if (m.term() == 0) {
    // Local message.
  } else if (m.term() > term_) {
    if (m.type() == raftpb::MSG_VOTE || m.type() == raftpb::MSG_PRE_VOTE) {
      bool force = m.context() == kCampaignTransfer;
      bool inLease = checkQuorum_ && lead_ != kNone && electionElapsed_ < electionTimeout_;
      // With check-quorum, a node that heard from a leader within the minimum
      // election timeout ignores votes: it keeps a partitioned node that
      // rejoins from deposing a healthy leader.
      if (!force && inLease) return Status::ok();
    }
    if (m.type() == raftpb::MSG_PRE_VOTE) {
      // Never change term for a pre-vote.
    } else if (m.type() == raftpb::MSG_PRE_VOTE_RESP && !m.reject()) {
      // The term is bumped when a quorum granted the pre-vote; a rejection
      // with a higher term means we are behind and fall through below.
    } else if (m.type() == raftpb::MSG_APP || m.type() == raftpb::MSG_HEARTBEAT ||
               m.type() == raftpb::MSG_SNAP) {
      becomeFollower(m.term(), m.from());
    } else {
      becomeFollower(m.term(), kNone);
    }
  } else if (m.term() < term_) {
    if ((checkQuorum_ || preVote_) &&
        (m.type() == raftpb::MSG_HEARTBEAT || m.type() == raftpb::MSG_APP)) {
      // A stale leader (e.g. one that was partitioned) will step down when it
      // sees our higher term. Without this it could wait forever, since with
      // pre-vote / check-quorum we never bump our term to disrupt it.
      Message r;
      r.set_to(m.from());
      r.set_type(raftpb::MSG_APP_RESP);
      send(std::move(r));
    } else if (m.type() == raftpb::MSG_PRE_VOTE) {
      // Tell a pre-candidate with a stale term so it can catch up.
      Message r;
      r.set_to(m.from());
      r.set_term(term_);
      r.set_type(raftpb::MSG_PRE_VOTE_RESP);
      r.set_reject(true);
      send(std::move(r));
    }
    return Status::ok();
  }

  switch (m.type()) {
    case raftpb::MSG_HUP:
      hup(preVote_ ? CampaignType::PreElection : CampaignType::Election);
      return Status::ok();
    case raftpb::MSG_VOTE:
    case raftpb::MSG_PRE_VOTE: {
      // We can vote for whom we already voted (a repeat), or when we voted for
      // no one and know no leader; a pre-vote for a future term is granted on
      // the log alone.
      bool canVote = vote_ == m.from() || (vote_ == kNone && lead_ == kNone) ||
                     (m.type() == raftpb::MSG_PRE_VOTE && m.term() > term_);
      Message r;
      r.set_to(m.from());
      r.set_type(voteRespType(m.type()));
      if (canVote && log_.isUpToDate(m.index(), m.log_term())) {
        // The response carries the requested term so a pre-candidate can
        // count it; a real vote response equals our (new) term anyway.
        r.set_term(m.term());
        send(std::move(r));
        if (m.type() == raftpb::MSG_VOTE) {
          electionElapsed_ = 0;
          vote_ = m.from();
        }
      } else {
        r.set_term(term_);
        r.set_reject(true);
        send(std::move(r));
      }
      return Status::ok();
    }
    default:
      break;
  }
  switch (state_) {
    case StateType::Leader:
      return stepLeader(m);
    case StateType::Candidate:
    case StateType::PreCandidate:
      return stepCandidate(m);
    case StateType::Follower:
      return stepFollower(m);
  }
  return Status::ok();
}

void Raft::advance(const Ready& rd) {
  uint64_t applied = 0;
  if (!rd.committedEntries.empty()) {
    applied = rd.committedEntries.back().index();
  } else if (rd.hasSnapshot) {
    applied = rd.snapshot.metadata().index();
  }
  if (applied > 0) log_.appliedTo(applied);
  reduceUncommittedSize(rd.committedEntries);
  if (!rd.entries.empty()) {
    const Entry& e = rd.entries.back();
    log_.stableTo(e.index(), e.term());
  }
  if (rd.hasSnapshot) log_.stableSnapTo(rd.snapshot.metadata().index());
}

}  // namespace cairn::raft
