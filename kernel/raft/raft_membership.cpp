// Raft's membership: a conf change applied to the progress tracker, and
// what a leader does once it is removed.
#include <algorithm>

#include "raft/raft.h"

namespace cairn::raft {

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

}  // namespace cairn::raft
