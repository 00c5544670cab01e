#include "raft/raft.h"

#include <algorithm>
#include <stdexcept>

namespace cairn::raft {

namespace {

using raftpb::Entry;
using raftpb::Message;
using raftpb::MessageType;

// Marks a vote request that comes from a leadership transfer: it must not be
// refused because of a live leader's lease.
constexpr const char* kCampaignTransfer = "CampaignTransfer";

MessageType voteRespType(MessageType t) {
  return t == raftpb::MSG_VOTE ? raftpb::MSG_VOTE_RESP : raftpb::MSG_PRE_VOTE_RESP;
}

uint64_t payloadSize(const std::vector<Entry>& ents) {
  uint64_t s = 0;
  for (const auto& e : ents) s += e.data().size();
  return s;
}

std::vector<Entry> entriesOf(const Message& m) {
  return std::vector<Entry>(m.entries().begin(), m.entries().end());
}

// The entries of a message nothing reads afterwards, moved out (a
// proposal's data is not copied on its way into the log).
std::vector<Entry> takeEntries(Message& m) {
  std::vector<Entry> out;
  out.reserve(static_cast<std::size_t>(m.entries_size()));
  for (Entry& e : *m.mutable_entries()) out.push_back(std::move(e));
  return out;
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

// ---- sending ----

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

bool Raft::maybeSendAppend(uint64_t to, bool sendIfEmpty) {
  auto it = prs_.find(to);
  if (it == prs_.end()) return false;
  Progress& pr = it->second;
  if (pr.isPaused()) return false;
  Message m;
  m.set_to(to);
  uint64_t prevTerm = 0;
  Status errT = log_.term(pr.next - 1, &prevTerm);
  std::vector<Entry> ents;
  Status errE = log_.entries(pr.next, maxMsgSize_, &ents);
  if (ents.empty() && !sendIfEmpty) return false;

  if (!errT.isOk() || !errE.isOk()) {
    // The follower needs entries we compacted: send a snapshot, but only to a
    // follower that is alive, since snapshots are expensive.
    if (!pr.recentActive) return false;
    raftpb::Snapshot snap;
    Status s = log_.snapshot(&snap);
    if (!s.isOk()) {
      if (isError(s, kErrSnapshotTemporarilyUnavailable)) return false;
      fatal("snapshot: " + s.message());
    }
    if (snap.metadata().index() == 0) fatal("need non-empty snapshot");
    m.set_type(raftpb::MSG_SNAP);
    *m.mutable_snapshot() = std::move(snap);
    pr.becomeSnapshot(m.snapshot().metadata().index());
  } else {
    m.set_type(raftpb::MSG_APP);
    m.set_index(pr.next - 1);
    m.set_log_term(prevTerm);
    m.set_commit(log_.committed());
    for (auto& e : ents) *m.add_entries() = std::move(e);
    if (m.entries_size() > 0) {
      switch (pr.state) {
        case ProgressState::Replicate: {
          uint64_t last = m.entries(m.entries_size() - 1).index();
          pr.optimisticUpdate(last);
          pr.inflights.add(last);
          break;
        }
        case ProgressState::Probe:
          pr.pause();
          break;
        case ProgressState::Snapshot:
          fatal("sending append in snapshot state");
      }
    }
  }
  send(std::move(m));
  return true;
}

void Raft::sendHeartbeat(uint64_t to, const std::string& ctx) {
  // A follower may not have the leader's whole log yet; committing past its
  // match could point its commit index past its last entry.
  uint64_t commit = std::min(prs_.at(to).match, log_.committed());
  Message m;
  m.set_to(to);
  m.set_type(raftpb::MSG_HEARTBEAT);
  m.set_commit(commit);
  m.set_context(ctx);
  send(std::move(m));
}

void Raft::sendTimeoutNow(uint64_t to) {
  Message m;
  m.set_to(to);
  m.set_type(raftpb::MSG_TIMEOUT_NOW);
  send(std::move(m));
}

void Raft::bcastAppend() {
  for (auto& [id, pr] : prs_) {
    if (id != id_) sendAppend(id);
  }
}

void Raft::bcastHeartbeat() {
  bcastHeartbeatWithCtx(readOnly_.lastPendingRequestCtx());
}

void Raft::bcastHeartbeatWithCtx(const std::string& ctx) {
  for (auto& [id, pr] : prs_) {
    if (id != id_) sendHeartbeat(id, ctx);
  }
}

// ---- commit and append ----

bool Raft::maybeCommit() {
  // Runs for every proposal on a leader: the scratch vector keeps its
  // capacity rather than allocating each time.
  std::vector<uint64_t>& matches = matchScratch_;
  matches.clear();
  for (const auto& [id, pr] : prs_) {
    if (!pr.isLearner) matches.push_back(pr.match);
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  uint64_t mci = matches[quorum() - 1];
  // Raft never commits entries of earlier terms by counting replicas (paper
  // section 5.4.2): maybeCommit only accepts an index whose term is ours.
  return log_.maybeCommit(mci, term_);
}

bool Raft::appendEntries(std::vector<Entry> es) {
  uint64_t li = log_.lastIndex();
  for (size_t i = 0; i < es.size(); i++) {
    es[i].set_term(term_);
    es[i].set_index(li + 1 + i);
  }
  if (!increaseUncommittedSize(es)) return false;
  li = log_.append(es);
  prs_.at(id_).maybeUpdate(li);
  maybeCommit();
  return true;
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

// ---- state transitions ----

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

// ---- ticking ----

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

// ---- elections ----

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

// ---- step ----

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

bool Raft::checkQuorumActive() {
  size_t act = 0;
  for (auto& [id, pr] : prs_) {
    if (id == id_) {
      if (!pr.isLearner) act++;
      continue;
    }
    if (pr.recentActive && !pr.isLearner) act++;
    // Start the next round from scratch.
    pr.recentActive = false;
  }
  return act >= quorum();
}

void Raft::stepLeaderReadIndex(Message& m) {
  auto respond = [&](uint64_t index) {
    if (m.from() == kNone || m.from() == id_) {
      readStates_.push_back(ReadState{index, m.entries(0).data()});
    } else {
      Message r;
      r.set_to(m.from());
      r.set_type(raftpb::MSG_READ_INDEX_RESP);
      r.set_index(index);
      *r.mutable_entries() = m.entries();
      send(std::move(r));
    }
  };
  if (voterCount() <= 1) {
    respond(log_.committed());
    return;
  }
  // Until an entry of our term is committed our commit index may be behind
  // what earlier leaders committed; such a read could miss writes.
  if (log_.termOrZero(log_.committed()) != term_) return;
  if (readOnly_.option() == ReadOnlyOption::Safe) {
    readOnly_.addRequest(log_.committed(), m);
    // Our own acknowledgement counts towards the quorum.
    readOnly_.recvAck(id_, m.entries(0).data());
    bcastHeartbeatWithCtx(m.entries(0).data());
  } else {
    respond(log_.committed());
  }
}

Status Raft::stepLeader(Message& m) {
  switch (m.type()) {
    case raftpb::MSG_BEAT:
      bcastHeartbeat();
      return Status::ok();
    case raftpb::MSG_CHECK_QUORUM:
      if (!checkQuorumActive()) becomeFollower(term_, kNone);
      return Status::ok();
    case raftpb::MSG_PROP: {
      if (m.entries_size() == 0) {
        return Status(StatusCode::InvalidArgument, "raft: proposal without entries");
      }
      // Removed from the configuration, or handing leadership over.
      if (prs_.count(id_) == 0 || leadTransferee_ != kNone) return errProposalDropped();
      // step() took the proposal by value and reads nothing of it after.
      std::vector<Entry> ents = takeEntries(m);
      for (size_t i = 0; i < ents.size(); i++) {
        if (ents[i].type() != raftpb::ENTRY_CONF_CHANGE) continue;
        if (pendingConfIndex_ > log_.applied()) {
          // One membership change at a time: the later one becomes a no-op
          // entry, which the application sees as a normal empty entry.
          ents[i] = Entry();
        } else {
          pendingConfIndex_ = log_.lastIndex() + i + 1;
        }
      }
      if (!appendEntries(std::move(ents))) return errProposalDropped();
      bcastAppend();
      return Status::ok();
    }
    case raftpb::MSG_READ_INDEX:
      if (m.entries_size() != 1) return Status::ok();
      stepLeaderReadIndex(m);
      return Status::ok();
    default:
      break;
  }

  auto it = prs_.find(m.from());
  if (it == prs_.end()) return Status::ok();
  Progress& pr = it->second;
  switch (m.type()) {
    case raftpb::MSG_APP_RESP: {
      pr.recentActive = true;
      if (m.reject()) {
        if (pr.maybeDecrTo(m.index(), m.reject_hint())) {
          if (pr.state == ProgressState::Replicate) pr.becomeProbe();
          sendAppend(m.from());
        }
        return Status::ok();
      }
      bool oldPaused = pr.isPaused();
      if (!pr.maybeUpdate(m.index())) return Status::ok();
      switch (pr.state) {
        case ProgressState::Probe:
          pr.becomeReplicate();
          break;
        case ProgressState::Snapshot:
          if (pr.match >= pr.pendingSnapshot) {
            // The follower caught up past the snapshot (maybe via MsgApp).
            pr.becomeProbe();
            pr.becomeReplicate();
          }
          break;
        case ProgressState::Replicate:
          pr.inflights.freeLE(m.index());
          break;
      }
      if (maybeCommit()) {
        bcastAppend();
      } else if (oldPaused) {
        // The follower was paused and may have missed a commit update.
        sendAppend(m.from());
      }
      // Fill the window while there is something to send.
      while (maybeSendAppend(m.from(), false)) {
      }
      if (m.from() == leadTransferee_ && pr.match == log_.lastIndex()) sendTimeoutNow(m.from());
      return Status::ok();
    }
    case raftpb::MSG_HEARTBEAT_RESP: {
      pr.recentActive = true;
      pr.resume();
      // A follower that answers heartbeats is alive: free one slot so a full
      // window whose MsgApp were lost does not block it forever.
      if (pr.state == ProgressState::Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
      if (pr.match < log_.lastIndex()) sendAppend(m.from());
      if (readOnly_.option() != ReadOnlyOption::Safe || m.context().empty()) return Status::ok();
      const std::set<uint64_t>* acks = readOnly_.recvAck(m.from(), m.context());
      if (acks == nullptr) return Status::ok();
      size_t voterAcks = 0;
      for (uint64_t a : *acks) {
        auto p = prs_.find(a);
        if (p != prs_.end() && !p->second.isLearner) voterAcks++;
      }
      if (voterAcks < quorum()) return Status::ok();
      for (auto& rs : readOnly_.advance(m.context())) {
        const Message& req = rs.req;
        if (req.from() == kNone || req.from() == id_) {
          readStates_.push_back(ReadState{rs.index, req.entries(0).data()});
        } else {
          Message r;
          r.set_to(req.from());
          r.set_type(raftpb::MSG_READ_INDEX_RESP);
          r.set_index(rs.index);
          *r.mutable_entries() = req.entries();
          send(std::move(r));
        }
      }
      return Status::ok();
    }
    case raftpb::MSG_SNAP_STATUS:
      if (pr.state != ProgressState::Snapshot) return Status::ok();
      if (m.reject()) pr.snapshotFailure();
      pr.becomeProbe();
      // Wait for an answer (MsgAppResp or heartbeat) before probing further:
      // a successful snapshot still needs to be applied by the follower.
      pr.pause();
      return Status::ok();
    case raftpb::MSG_UNREACHABLE:
      // Optimistic pipelining probably lost messages; go back to probing.
      if (pr.state == ProgressState::Replicate) pr.becomeProbe();
      return Status::ok();
    case raftpb::MSG_TRANSFER_LEADER: {
      if (pr.isLearner) return Status::ok();
      uint64_t transferee = m.from();
      if (leadTransferee_ != kNone) {
        if (leadTransferee_ == transferee) return Status::ok();  // already underway
        abortLeaderTransfer();
      }
      if (transferee == id_) return Status::ok();
      // The transfer must finish within one election timeout.
      electionElapsed_ = 0;
      leadTransferee_ = transferee;
      if (pr.match == log_.lastIndex()) {
        sendTimeoutNow(transferee);
      } else {
        sendAppend(transferee);
      }
      return Status::ok();
    }
    default:
      return Status::ok();
  }
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

Status Raft::stepFollower(Message& m) {
  switch (m.type()) {
    case raftpb::MSG_PROP:
      if (lead_ == kNone || disableProposalForwarding_) return errProposalDropped();
      m.set_to(lead_);
      send(std::move(m));  // step() reads nothing of it after
      return Status::ok();
    case raftpb::MSG_APP:
      electionElapsed_ = 0;
      lead_ = m.from();
      handleAppendEntries(m);
      return Status::ok();
    case raftpb::MSG_HEARTBEAT:
      electionElapsed_ = 0;
      lead_ = m.from();
      handleHeartbeat(m);
      return Status::ok();
    case raftpb::MSG_SNAP:
      electionElapsed_ = 0;
      lead_ = m.from();
      handleSnapshot(m);
      return Status::ok();
    case raftpb::MSG_TRANSFER_LEADER:
      if (lead_ == kNone) return Status::ok();
      m.set_to(lead_);
      send(m);
      return Status::ok();
    case raftpb::MSG_TIMEOUT_NOW:
      // Leadership transfer skips pre-vote: the leader asked us to run, and
      // the context overrides the other followers' leases.
      if (promotable()) campaign(CampaignType::Transfer);
      return Status::ok();
    case raftpb::MSG_READ_INDEX:
      if (lead_ == kNone) return Status::ok();
      m.set_to(lead_);
      send(m);
      return Status::ok();
    case raftpb::MSG_READ_INDEX_RESP:
      if (m.entries_size() != 1) return Status::ok();
      readStates_.push_back(ReadState{m.index(), m.entries(0).data()});
      return Status::ok();
    default:
      return Status::ok();
  }
}

void Raft::handleAppendEntries(const Message& m) {
  Message r;
  r.set_to(m.from());
  r.set_type(raftpb::MSG_APP_RESP);
  if (m.index() < log_.committed()) {
    // Already have (and committed) all of it; tell the leader where we are.
    r.set_index(log_.committed());
    send(std::move(r));
    return;
  }
  if (auto last = log_.maybeAppend(m.index(), m.log_term(), m.commit(), entriesOf(m))) {
    r.set_index(*last);
  } else {
    r.set_index(m.index());
    r.set_reject(true);
    r.set_reject_hint(log_.lastIndex());
  }
  send(std::move(r));
}

void Raft::handleHeartbeat(const Message& m) {
  log_.commitTo(m.commit());
  Message r;
  r.set_to(m.from());
  r.set_type(raftpb::MSG_HEARTBEAT_RESP);
  r.set_context(m.context());
  send(std::move(r));
}

void Raft::handleSnapshot(const Message& m) {
  Message r;
  r.set_to(m.from());
  r.set_type(raftpb::MSG_APP_RESP);
  if (restore(m.snapshot())) {
    r.set_index(log_.lastIndex());
  } else {
    r.set_index(log_.committed());
  }
  send(std::move(r));
}

bool Raft::restore(const raftpb::Snapshot& s) {
  const auto& md = s.metadata();
  if (md.index() <= log_.committed()) return false;
  if (state_ != StateType::Follower) {
    // Defense in depth: only followers take snapshots; anything else moves to
    // a new term so it cannot keep acting on a replaced log.
    becomeFollower(term_ + 1, kNone);
    return false;
  }
  bool found = false;
  for (uint64_t v : md.conf_state().voters()) found = found || v == id_;
  for (uint64_t l : md.conf_state().learners()) found = found || l == id_;
  // A snapshot of a configuration we are not in is not for us.
  if (!found) return false;
  if (log_.matchTerm(md.index(), md.term())) {
    // We already have the entries; only the commit index moves.
    log_.commitTo(md.index());
    return false;
  }
  log_.restore(s);
  loadConfState(md.conf_state());
  uint64_t last = log_.lastIndex();
  for (auto& [id, pr] : prs_) {
    pr.next = last + 1;
    pr.match = id == id_ ? last : 0;
  }
  return true;
}

// ---- membership ----

raftpb::ConfState Raft::applyConfChange(const raftpb::ConfChange& cc) {
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_NODE:
      addNode(cc.node_id(), false);
      break;
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE:
      addNode(cc.node_id(), true);
      break;
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      removeNode(cc.node_id());
      break;
    case raftpb::CONF_CHANGE_UPDATE_NODE:
    default:
      break;
  }
  return confState();
}

void Raft::addNode(uint64_t id, bool isLearner) {
  auto it = prs_.find(id);
  if (it == prs_.end()) {
    Progress pr(log_.lastIndex() + 1, maxInflight_, isLearner);
    it = prs_.insert_or_assign(id, std::move(pr)).first;
  } else {
    // Voters cannot be demoted to learners in a single step; repeats are
    // no-ops (bootstrap entries are applied twice).
    if (isLearner && !it->second.isLearner) return;
    if (isLearner == it->second.isLearner) return;
    it->second.isLearner = false;  // learner promoted to voter
  }
  if (id == id_) isLearner_ = isLearner;
  // A new member counts as active, so check-quorum does not depose us before
  // it had a chance to answer.
  it->second.recentActive = true;
  if (state_ == StateType::Leader && id != id_) {
    // Start replicating now rather than at the next heartbeat.
    maybeSendAppend(id, false);
  }
}

void Raft::removeNode(uint64_t id) {
  if (prs_.erase(id) == 0) return;
  if (id == id_) isLearner_ = false;
  if (prs_.empty()) return;
  if (state_ != StateType::Leader) return;
  if (id == id_) {
    stepDownAfterRemoval();
    return;
  }
  // The quorum may be smaller now.
  if (maybeCommit()) bcastAppend();
  if (leadTransferee_ == id) abortLeaderTransfer();
}

void Raft::stepDownAfterRemoval() {
  // We are the leader and were removed. The removal is committed (it is
  // being applied), so the remaining voters can elect a leader without us.
  // Speed that up by asking the most caught-up voter to campaign now, then
  // stop leading: we could no longer count ourselves in any quorum.
  uint64_t best = kNone;
  uint64_t bestMatch = 0;
  for (const auto& [pid, pr] : prs_) {
    if (pr.isLearner) continue;
    if (best == kNone || pr.match > bestMatch) {
      best = pid;
      bestMatch = pr.match;
    }
  }
  if (best != kNone && bestMatch == log_.lastIndex()) {
    sendTimeoutNow(best);
  } else if (best != kNone) {
    // Let it catch up; it times out and campaigns on its own otherwise.
    sendAppend(best);
  }
  becomeFollower(term_, kNone);
}

// ---- ready bookkeeping ----

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
