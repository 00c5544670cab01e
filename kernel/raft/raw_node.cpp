#include "raft/raw_node.h"

#include <stdexcept>

#include "raft/raft.h"

namespace cairn::raft {

namespace {

bool isLocalMsg(raftpb::MessageType t) {
  return t == raftpb::MSG_HUP || t == raftpb::MSG_BEAT || t == raftpb::MSG_UNREACHABLE ||
         t == raftpb::MSG_SNAP_STATUS || t == raftpb::MSG_CHECK_QUORUM;
}

bool isResponseMsg(raftpb::MessageType t) {
  return t == raftpb::MSG_APP_RESP || t == raftpb::MSG_VOTE_RESP ||
         t == raftpb::MSG_HEARTBEAT_RESP || t == raftpb::MSG_UNREACHABLE ||
         t == raftpb::MSG_PRE_VOTE_RESP;
}

bool isEmpty(const raftpb::HardState& hs) {
  return hs.term() == 0 && hs.vote() == 0 && hs.commit() == 0;
}

bool sameHardState(const raftpb::HardState& a, const raftpb::HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() && a.commit() == b.commit();
}

}  // namespace

RawNode::RawNode(const Config& cfg) : raft_(std::make_unique<Raft>(cfg)) {
  prevSoftState_ = raft_->softState();
  prevHardState_ = raft_->hardState();
}

RawNode::~RawNode() = default;

Status RawNode::create(const Config& cfg, std::unique_ptr<RawNode>* out) {
  Status s = cfg.validate();
  if (!s.isOk()) return s;
  try {
    *out = std::make_unique<RawNode>(cfg);
  } catch (const std::exception& e) {
    return Status(StatusCode::Internal, e.what());
  }
  return Status::ok();
}

Status RawNode::bootstrap(const std::vector<uint64_t>& voters) {
  std::vector<Peer> peers;
  for (uint64_t id : voters) peers.push_back(Peer{id, {}});
  return bootstrapPeers(peers);
}

Status RawNode::bootstrapPeers(const std::vector<Peer>& voters) {
  if (voters.empty()) {
    return Status(StatusCode::InvalidArgument, "raft: must provide at least one peer to bootstrap");
  }
  if (raft_->log().lastIndex() != 0) {
    return Status(StatusCode::FailedPrecondition, "raft: can't bootstrap a nonempty Storage");
  }
  // Nothing is persisted yet: the first Ready must carry the HardState.
  prevHardState_ = raftpb::HardState();
  raft_->becomeFollower(1, kNone);
  std::vector<raftpb::Entry> ents;
  std::vector<raftpb::ConfChange> ccs;
  for (size_t i = 0; i < voters.size(); i++) {
    raftpb::ConfChange cc;
    cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
    cc.set_node_id(voters[i].id);
    cc.set_context(voters[i].context);
    raftpb::Entry e;
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    e.set_term(1);
    e.set_index(i + 1);
    e.set_data(cc.SerializeAsString());
    ents.push_back(std::move(e));
    ccs.push_back(std::move(cc));
  }
  raft_->log().append(ents);
  // The entries are committed by fiat (every member bootstraps the same
  // ones); they still reach the application via committedEntries.
  raft_->log().setCommittedForBootstrap(ents.size());
  // Applied now so campaign() can run once this Ready is handled; applying
  // them again from committedEntries is a no-op.
  for (const auto& cc : ccs) raft_->applyConfChange(cc);
  return Status::ok();
}

void RawNode::tick() {
  raft_->tick();
}

Status RawNode::campaign() {
  Status s = raft_->canCampaign();
  if (!s.isOk()) return s;
  raftpb::Message m;
  m.set_type(raftpb::MSG_HUP);
  return raft_->step(m);
}

Status RawNode::propose(std::string data) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  m.add_entries()->set_data(std::move(data));
  return raft_->step(std::move(m));
}

Status RawNode::proposeAll(std::vector<std::string>&& data) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  m.mutable_entries()->Reserve(static_cast<int>(data.size()));
  for (std::string& d : data) m.add_entries()->set_data(std::move(d));
  return raft_->step(std::move(m));
}

Status RawNode::proposeConfChange(const raftpb::ConfChange& cc) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROP);
  m.set_from(raft_->id());
  auto* e = m.add_entries();
  e->set_type(raftpb::ENTRY_CONF_CHANGE);
  e->set_data(cc.SerializeAsString());
  return raft_->step(std::move(m));
}

Status RawNode::step(const raftpb::Message& m) {
  // Local messages must come from this process, never from the network.
  if (isLocalMsg(m.type())) return Status(StatusCode::InvalidArgument, kErrStepLocalMsg);
  if (raft_->hasProgress(m.from()) || !isResponseMsg(m.type())) return raft_->step(m);
  return Status(StatusCode::InvalidArgument, kErrStepPeerNotFound);
}

void RawNode::readIndex(std::string ctx) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX);
  m.add_entries()->set_data(std::move(ctx));
  raft_->step(m);
}

void RawNode::transferLeader(uint64_t transferee) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_TRANSFER_LEADER);
  m.set_from(transferee);
  raft_->step(m);
}

bool RawNode::hasReady() const {
  if (!(raft_->softState() == prevSoftState_)) return true;
  raftpb::HardState hs = raft_->hardState();
  if (!isEmpty(hs) && !sameHardState(hs, prevHardState_)) return true;
  const RaftLog& log = raft_->log();
  if (log.hasPendingSnapshot()) return true;
  if (!raft_->msgs().empty() || !log.unstableEntries().empty() || log.hasNextEnts()) return true;
  return !raft_->readStates().empty();
}

Ready RawNode::ready() {
  Ready rd;
  RaftLog& log = raft_->log();
  rd.entries = log.unstableEntries();
  rd.committedEntries = log.nextEnts();
  rd.messages = std::move(raft_->msgs());
  raft_->msgs().clear();
  SoftState ss = raft_->softState();
  if (!(ss == prevSoftState_)) {
    rd.softState = ss;
    prevSoftState_ = ss;
  }
  raftpb::HardState hs = raft_->hardState();
  if (!sameHardState(hs, prevHardState_)) {
    rd.hardState = hs;
    rd.hardStateChanged = true;
  }
  if (const raftpb::Snapshot* snap = log.pendingSnapshot()) {
    rd.snapshot = *snap;
    rd.hasSnapshot = true;
  }
  rd.readStates = std::move(raft_->readStates());
  raft_->readStates().clear();
  // Term and vote must be durable before any message depending on them is
  // sent; a commit index change alone can be lost and relearned.
  rd.mustSync = !rd.entries.empty() || hs.vote() != prevHardState_.vote() ||
                hs.term() != prevHardState_.term();
  return rd;
}

void RawNode::advance(const Ready& rd) {
  if (rd.hardStateChanged) prevHardState_ = rd.hardState;
  raft_->advance(rd);
}

raftpb::ConfState RawNode::applyConfChange(const raftpb::ConfChange& cc) {
  if (cc.node_id() == kNone) return raft_->confState();
  return raft_->applyConfChange(cc);
}

void RawNode::reportUnreachable(uint64_t id) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_UNREACHABLE);
  m.set_from(id);
  raft_->step(m);
}

void RawNode::reportSnapshot(uint64_t id, bool failed) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP_STATUS);
  m.set_from(id);
  m.set_reject(failed);
  raft_->step(m);
}

uint64_t RawNode::id() const {
  return raft_->id();
}
uint64_t RawNode::lead() const {
  return raft_->lead();
}
StateType RawNode::state() const {
  return raft_->state();
}
uint64_t RawNode::term() const {
  return raft_->term();
}

NodeStatus RawNode::status() const {
  NodeStatus st;
  st.id = raft_->id();
  st.hardState = raft_->hardState();
  st.softState = raft_->softState();
  st.applied = raft_->log().applied();
  st.lastIndex = raft_->log().lastIndex();
  st.leadTransferee = raft_->leadTransferee();
  st.confState = raft_->confState();
  if (raft_->state() == StateType::Leader) {
    for (const auto& [id, pr] : raft_->progress()) st.progress.emplace(id, pr);
  }
  return st;
}

}  // namespace cairn::raft
