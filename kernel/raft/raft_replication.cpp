// Raft's replication: what the leader sends (appends, heartbeats,
// snapshots), the commit rule, and the follower's side (appends,
// heartbeats and snapshots received).
#include <algorithm>

#include "raft/raft.h"

namespace cairn::raft {

namespace {

using raftpb::Entry;
using raftpb::Message;

std::vector<Entry> entriesOf(const Message& m) {
  return std::vector<Entry>(m.entries().begin(), m.entries().end());
}

}  // namespace

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
  li = log_.append(std::move(es));
  prs_.at(id_).maybeUpdate(li);
  maybeCommit();
  return true;
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

}  // namespace cairn::raft
