// Progress: the leader's view of one follower's log.
// Threads: owned by its Raft, so by the RawNode's thread; no locks.
#pragma once

#include <cstdint>
#include <string>

#include "raft/inflights.h"

namespace cairn::raft {

enum class ProgressState {
  // One MsgApp at a time until the follower's match index is found.
  Probe,
  // Pipelined MsgApp, bounded by the inflight window.
  Replicate,
  // A snapshot is on its way; nothing else is sent.
  Snapshot,
};

const char* progressStateName(ProgressState s);

class Progress {
 public:
  Progress(uint64_t next, int maxInflight, bool isLearner)
      : next(next), isLearner(isLearner), inflights(maxInflight) {}

  void becomeProbe();
  void becomeReplicate();
  void becomeSnapshot(uint64_t snapshotIndex);
  // An acknowledgement up to n arrived. Returns whether match advanced.
  bool maybeUpdate(uint64_t n);
  // Entries up to n were sent (replicate state pipelines past match).
  void optimisticUpdate(uint64_t n) { next = n + 1; }
  // The follower rejected MsgApp at `rejected`; its last index is `last`.
  // Returns false for a stale rejection.
  bool maybeDecrTo(uint64_t rejected, uint64_t last);
  bool isPaused() const;
  void pause() { paused = true; }
  void resume() { paused = false; }
  void snapshotFailure() { pendingSnapshot = 0; }
  std::string toString() const;

  uint64_t match = 0;
  uint64_t next = 0;
  ProgressState state = ProgressState::Probe;
  // Probe state: a MsgApp was sent and not yet answered.
  bool paused = false;
  // Snapshot state: index of the snapshot being sent.
  uint64_t pendingSnapshot = 0;
  // Heard from since the last check-quorum round.
  bool recentActive = false;
  bool isLearner = false;
  Inflights inflights;

 private:
  void resetState(ProgressState s);
};

}  // namespace cairn::raft
