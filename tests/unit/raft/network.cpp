#include "network.h"

#include <stdexcept>

namespace cairn::raft::test {

uint64_t hashStep(uint64_t h, const raftpb::Entry& e) {
  // FNV-1a over (index, term, type, data): enough to tell histories apart.
  auto mix = [&h](const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; i++) {
      h ^= b[i];
      h *= 1099511628211ULL;
    }
  };
  uint64_t idx = e.index(), term = e.term();
  int type = e.type();
  mix(&idx, sizeof idx);
  mix(&term, sizeof term);
  mix(&type, sizeof type);
  mix(e.data().data(), e.data().size());
  return h;
}

Network::Network(const std::vector<uint64_t>& ids, ConfigFn configureFn, uint64_t seed)
    : configure(std::move(configureFn)), seed_(seed) {
  for (uint64_t id : ids) {
    SimNode n;
    n.id = id;
    n.storage = std::make_unique<MemoryStorage>();
    n.node = std::make_unique<RawNode>(makeConfig(id, n.storage.get()));
    Status s = n.node->bootstrap(ids);
    if (!s.isOk()) throw std::runtime_error(s.message());
    nodes_.emplace(id, std::move(n));
    handleReady(id);
  }
}

std::vector<uint64_t> Network::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, n] : nodes_) out.push_back(id);
  return out;
}

Config Network::makeConfig(uint64_t id, MemoryStorage* storage) const {
  Config c;
  c.id = id;
  c.storage = storage;
  c.electionTick = 10;
  c.heartbeatTick = 1;
  c.randomSeed = seed_;
  if (configure) configure(c);
  return c;
}

void Network::apply(SimNode& n, const raftpb::Entry& e) {
  if (e.index() != n.appliedIndex + 1) {
    throw std::runtime_error("node " + std::to_string(n.id) + " applies index " +
                             std::to_string(e.index()) + " after " +
                             std::to_string(n.appliedIndex));
  }
  if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data())) throw std::runtime_error("bad conf change");
    n.confState = n.node->applyConfChange(cc);
  } else if (!e.data().empty()) {
    n.appliedData.push_back(e.data());
  }
  n.appliedIndex = e.index();
  n.stateHash = hashStep(n.stateHash, e);
  if (onApply) onApply(n.id, e, n.stateHash);
}

void Network::handleReady(uint64_t id) {
  SimNode& n = nodes_.at(id);
  if (n.down) return;
  while (n.node->hasReady()) {
    Ready rd = n.node->ready();
    if (rd.hasSnapshot) {
      Status s = n.storage->applySnapshot(rd.snapshot);
      if (!s.isOk()) throw std::runtime_error("applySnapshot: " + s.message());
    }
    Status s = n.storage->append(rd.entries);
    if (!s.isOk()) throw std::runtime_error("append: " + s.message());
    if (rd.hardStateChanged) n.storage->setHardState(rd.hardState);
    if (onPersist && !rd.entries.empty()) onPersist(id, rd.entries);
    for (auto& m : rd.messages) queue_.push_back(std::move(m));
    if (rd.hasSnapshot) {
      n.appliedIndex = rd.snapshot.metadata().index();
      n.stateHash = std::stoull(rd.snapshot.data());
      n.confState = rd.snapshot.metadata().conf_state();
      n.appliedData.clear();
      if (onRestore) onRestore(id, rd.snapshot);
    }
    for (const auto& e : rd.committedEntries) apply(n, e);
    for (auto& r : rd.readStates) n.readStates.push_back(std::move(r));
    n.node->advance(rd);
  }
}

void Network::tick(uint64_t id, int k) {
  for (int i = 0; i < k; i++) {
    if (nodes_.at(id).down) return;
    raw(id).tick();
    handleReady(id);
  }
}

void Network::tickAll(int k) {
  for (int i = 0; i < k; i++) {
    for (auto& [id, n] : nodes_) tick(id, 1);
  }
}

bool Network::linkUp(uint64_t from, uint64_t to) const {
  return cut_.count({std::min(from, to), std::max(from, to)}) == 0;
}

void Network::dropAt(size_t i) {
  raftpb::Message m = queue_[i];
  queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(i));
  // A real transport reports a failed snapshot send; without it the leader
  // would wait for that follower forever.
  if (m.type() == raftpb::MSG_SNAP && nodes_.count(m.from()) && !nodes_.at(m.from()).down) {
    raw(m.from()).reportSnapshot(m.to(), true);
    handleReady(m.from());
  }
}

void Network::deliverAt(size_t i, bool duplicate) {
  raftpb::Message m = queue_[i];
  if (!duplicate) queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(i));
  auto it = nodes_.find(m.to());
  bool dropped =
      it == nodes_.end() || it->second.down || !linkUp(m.from(), m.to()) || (filter_ && filter_(m));
  if (dropped) {
    if (m.type() == raftpb::MSG_SNAP && nodes_.count(m.from()) && !nodes_.at(m.from()).down) {
      raw(m.from()).reportSnapshot(m.to(), true);
      handleReady(m.from());
    }
    return;
  }
  it->second.node->step(m);  // stale/unknown-peer errors are normal here
  handleReady(m.to());
  if (m.type() == raftpb::MSG_SNAP && nodes_.count(m.from()) && !nodes_.at(m.from()).down) {
    raw(m.from()).reportSnapshot(m.to(), false);
    handleReady(m.from());
  }
}

void Network::stabilize(int maxMessages) {
  for (int i = 0; i < maxMessages && !queue_.empty(); i++) deliverAt(0);
  if (!queue_.empty()) throw std::runtime_error("network did not stabilize");
}

void Network::cut(uint64_t a, uint64_t b) {
  cut_.insert({std::min(a, b), std::max(a, b)});
}

void Network::isolate(uint64_t id) {
  for (const auto& [other, n] : nodes_) {
    if (other != id) cut(id, other);
  }
}

void Network::heal() {
  cut_.clear();
  filter_ = nullptr;
}

void Network::crash(uint64_t id) {
  SimNode& n = nodes_.at(id);
  n.down = true;
  n.node.reset();
}

void Network::restart(uint64_t id) {
  SimNode& n = nodes_.at(id);
  n.node = std::make_unique<RawNode>(makeConfig(id, n.storage.get()));
  n.down = false;
  // The application restarts from its last snapshot and re-applies the log.
  raftpb::Snapshot snap;
  n.storage->snapshot(&snap);
  n.appliedIndex = snap.metadata().index();
  n.stateHash = snap.data().empty() ? 0 : std::stoull(snap.data());
  n.confState = snap.metadata().conf_state();
  n.appliedData.clear();
  n.readStates.clear();
  handleReady(id);
}

void Network::addEmptyNode(uint64_t id) {
  SimNode n;
  n.id = id;
  n.storage = std::make_unique<MemoryStorage>();
  n.node = std::make_unique<RawNode>(makeConfig(id, n.storage.get()));
  nodes_.emplace(id, std::move(n));
}

void Network::compact(uint64_t id) {
  SimNode& n = nodes_.at(id);
  raftpb::Snapshot snap;
  n.storage->snapshot(&snap);
  if (n.appliedIndex <= snap.metadata().index()) return;
  Status s =
      n.storage->createSnapshot(n.appliedIndex, &n.confState, std::to_string(n.stateHash), nullptr);
  if (!s.isOk()) throw std::runtime_error("createSnapshot: " + s.message());
  s = n.storage->compact(n.appliedIndex);
  if (!s.isOk()) throw std::runtime_error("compact: " + s.message());
}

uint64_t Network::leader() const {
  uint64_t best = kNone, bestTerm = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.down) continue;
    if (n.node->state() == StateType::Leader && n.node->term() >= bestTerm) {
      best = id;
      bestTerm = n.node->term();
    }
  }
  return best;
}

Status Network::propose(uint64_t via, const std::string& data) {
  Status s = raw(via).propose(data);
  handleReady(via);
  stabilize();
  return s;
}

void Network::elect(uint64_t id) {
  Status s = raw(id).campaign();
  if (!s.isOk()) throw std::runtime_error("campaign: " + s.message());
  handleReady(id);
  stabilize();
}

}  // namespace cairn::raft::test
