// Raft's leader step: proposals, replication answers, heartbeat answers,
// leadership transfer, ReadIndex, and check-quorum.
#include <algorithm>

#include "raft/raft.h"

namespace cairn::raft {

namespace {

using raftpb::Entry;
using raftpb::Message;

// The entries of a message nothing reads afterwards, moved out (a
// proposal's data is not copied on its way into the log).
std::vector<Entry> takeEntries(Message& m) {
  std::vector<Entry> out;
  out.reserve(static_cast<std::size_t>(m.entries_size()));
  for (Entry& e : *m.mutable_entries()) out.push_back(std::move(e));
  return out;
}

}  // namespace

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

}  // namespace cairn::raft
