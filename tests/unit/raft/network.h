// Network: a simulated cluster of RawNodes for tests. Every node has a
// MemoryStorage; messages wait in one queue and are delivered, dropped,
// duplicated or reordered under the test's control. The application state
// machine of a node is a running hash over the entries it applied, so two
// nodes agree on their state iff they applied the same entries.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/raw_node.h"

namespace cairn::raft::test {

struct SimNode {
  uint64_t id = 0;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
  uint64_t appliedIndex = 0;
  uint64_t stateHash = 0;  // hash of everything applied up to appliedIndex
  raftpb::ConfState confState;
  std::vector<std::string> appliedData;  // non-empty normal entries, in order
  std::vector<ReadState> readStates;
  bool down = false;
};

class Network {
 public:
  using ConfigFn = std::function<void(Config&)>;
  // Called for every applied entry: (node, entry, state hash after it).
  using ApplyFn = std::function<void(uint64_t, const raftpb::Entry&, uint64_t)>;
  // Called when a node restores a snapshot: (node, snapshot).
  using RestoreFn = std::function<void(uint64_t, const raftpb::Snapshot&)>;

  // Bootstraps `ids` as the voters of a new cluster.
  explicit Network(const std::vector<uint64_t>& ids, ConfigFn configure = {}, uint64_t seed = 1);

  SimNode& sim(uint64_t id) { return nodes_.at(id); }
  RawNode& raw(uint64_t id) { return *nodes_.at(id).node; }
  std::vector<uint64_t> ids() const;

  // Handles the pending Ready of a node like a server would: persist, queue
  // messages, apply, advance.
  void handleReady(uint64_t id);
  void tick(uint64_t id, int n = 1);
  void tickAll(int n = 1);
  // Delivers queued messages in FIFO order until none are left.
  void stabilize(int maxMessages = 100000);
  // Delivers one message (index into the queue), possibly keeping a copy.
  void deliverAt(size_t i, bool duplicate = false);
  void dropAt(size_t i);
  std::deque<raftpb::Message>& queue() { return queue_; }

  // Connectivity: a message is dropped if its link is cut or a filter says so.
  void cut(uint64_t a, uint64_t b);
  void isolate(uint64_t id);
  void heal();
  void setFilter(std::function<bool(const raftpb::Message&)> drop) { filter_ = std::move(drop); }
  bool linkUp(uint64_t from, uint64_t to) const;

  // Crash (volatile state lost, storage kept) and restart.
  void crash(uint64_t id);
  void restart(uint64_t id);
  // A new member with empty storage; it learns the log from the leader.
  void addEmptyNode(uint64_t id);
  // Snapshot at the node's applied index and compact its log.
  void compact(uint64_t id);

  // The leader with the highest term among live nodes, or kNone.
  uint64_t leader() const;
  // Proposes on `via` and stabilizes; returns the propose status.
  Status propose(uint64_t via, const std::string& data);
  // Campaign + stabilize.
  void elect(uint64_t id);

  ConfigFn configure;
  // Called after a node persisted entries (before it sends or applies).
  std::function<void(uint64_t, const std::vector<raftpb::Entry>&)> onPersist;
  ApplyFn onApply;
  RestoreFn onRestore;

 private:
  Config makeConfig(uint64_t id, MemoryStorage* storage) const;
  void apply(SimNode& n, const raftpb::Entry& e);

  uint64_t seed_;
  std::map<uint64_t, SimNode> nodes_;
  std::deque<raftpb::Message> queue_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::function<bool(const raftpb::Message&)> filter_;
};

uint64_t hashStep(uint64_t h, const raftpb::Entry& e);

}  // namespace cairn::raft::test
