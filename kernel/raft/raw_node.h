// RawNode: the public face of the raft state machine. Not thread-safe: one
// thread (the server's raft loop) owns a RawNode and calls everything on it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "raft/config.h"
#include "raft/node_status.h"
#include "raft/ready.h"

namespace cairn::raft {

class Raft;

class RawNode {
 public:
  // Builds a node from cfg and the state in cfg.storage. Throws
  // std::invalid_argument if cfg.validate() fails, RaftInvariantError if the
  // storage is inconsistent. create() reports the same as a Status.
  explicit RawNode(const Config& cfg);
  static Status create(const Config& cfg, std::unique_ptr<RawNode>* out);
  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // Starts a brand-new cluster on empty storage: appends one committed
  // ADD_NODE conf-change entry per voter (term 1) and applies them to the
  // configuration. The entries are returned by the next ready() as entries
  // to persist and committedEntries to apply (applyConfChange on them is a
  // no-op). campaign() is refused until that Ready was advanced.
  Status bootstrap(const std::vector<uint64_t>& voters);
  // The same, each entry's ConfChange carrying the peer's `context` (the
  // application's description of the member, e.g. its peer URLs).
  struct Peer {
    uint64_t id = 0;
    std::string context;
  };
  Status bootstrapPeers(const std::vector<Peer>& peers);

  // Advances the logical clock by one tick.
  void tick();
  // Starts an election now (pre-vote first if enabled). A single voter
  // becomes leader at once.
  Status campaign();
  // Proposes data to be appended; kErrProposalDropped when it cannot be.
  Status propose(std::string data);
  // Proposes `data` (non-empty) as one message: appended together, or
  // dropped together (no leader, a leadership transfer, the uncommitted
  // size limit), one step through raft for all of them.
  Status proposeAll(std::vector<std::string>&& data);
  // Proposes a membership change (one at a time; a second one proposed while
  // another is unapplied is replaced by an empty entry).
  Status proposeConfChange(const raftpb::ConfChange& cc);
  // Feeds a message received from a peer.
  Status step(const raftpb::Message& m);
  // Requests a read index; the answer arrives as a Ready::readStates entry
  // carrying ctx (ctx should be unique per request).
  void readIndex(std::string ctx);
  // Asks the leader to hand leadership to transferee.
  void transferLeader(uint64_t transferee);

  bool hasReady() const;
  Ready ready();
  void advance(const Ready& rd);

  // Applies a committed conf change; returns the new configuration to be
  // saved with snapshots.
  raftpb::ConfState applyConfChange(const raftpb::ConfChange& cc);
  // Transport feedback.
  void reportUnreachable(uint64_t id);
  void reportSnapshot(uint64_t id, bool failed);

  uint64_t id() const;
  NodeStatus status() const;
  // Convenience accessors (same data as status()).
  uint64_t lead() const;
  StateType state() const;
  uint64_t term() const;

 private:
  std::unique_ptr<Raft> raft_;
  SoftState prevSoftState_;
  raftpb::HardState prevHardState_;
};

}  // namespace cairn::raft
