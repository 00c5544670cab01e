// What RawNode::ready() hands the application.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "raft/errors.h"
#include "raft/state_type.h"

namespace cairn::raft {

// Volatile state, useful for logging and for knowing the leader.
struct SoftState {
  uint64_t lead = kNone;
  StateType state = StateType::Follower;
  bool operator==(const SoftState&) const = default;
};

// The result of a readIndex(ctx): once the application has applied up to
// `index`, a read for requestCtx is linearizable.
struct ReadState {
  uint64_t index = 0;
  std::string requestCtx;
};

// One batch of work. Handle in this order: persist hardState, entries and
// snapshot (fsync if mustSync); then send messages; then apply snapshot and
// committedEntries; then call advance(rd). Call advance() before the next
// ready(), or committed entries are handed out again.
struct Ready {
  std::optional<SoftState> softState;  // set when changed
  raftpb::HardState hardState;
  bool hardStateChanged = false;
  std::vector<ReadState> readStates;
  std::vector<raftpb::Entry> entries;  // to persist BEFORE sending messages
  raftpb::Snapshot snapshot;
  bool hasSnapshot = false;
  std::vector<raftpb::Entry> committedEntries;  // to apply
  std::vector<raftpb::Message> messages;        // to send after persisting
  bool mustSync = false;
};

}  // namespace cairn::raft
