#include "raft/progress.h"

#include <algorithm>

namespace cairn::raft {

const char* progressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::Probe:
      return "StateProbe";
    case ProgressState::Replicate:
      return "StateReplicate";
    case ProgressState::Snapshot:
      return "StateSnapshot";
  }
  return "StateUnknown";
}

void Progress::resetState(ProgressState s) {
  paused = false;
  pendingSnapshot = 0;
  state = s;
  inflights.reset();
}

void Progress::becomeProbe() {
  if (state == ProgressState::Snapshot) {
    // The snapshot (if it arrived) covers everything up to pendingSnapshot.
    uint64_t pending = pendingSnapshot;
    resetState(ProgressState::Probe);
    next = std::max(match + 1, pending + 1);
  } else {
    resetState(ProgressState::Probe);
    next = match + 1;
  }
}

void Progress::becomeReplicate() {
  resetState(ProgressState::Replicate);
  next = match + 1;
}

void Progress::becomeSnapshot(uint64_t snapshotIndex) {
  resetState(ProgressState::Snapshot);
  pendingSnapshot = snapshotIndex;
}

bool Progress::maybeUpdate(uint64_t n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    resume();
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::maybeDecrTo(uint64_t rejected, uint64_t last) {
  if (state == ProgressState::Replicate) {
    // Stale: the rejected index is already known to match.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // In probe state only the answer to the latest probe (next-1) counts.
  if (next - 1 != rejected) return false;
  next = std::max<uint64_t>(std::min(rejected, last + 1), 1);
  resume();
  return true;
}

bool Progress::isPaused() const {
  switch (state) {
    case ProgressState::Probe:
      return paused;
    case ProgressState::Replicate:
      return inflights.full();
    case ProgressState::Snapshot:
      return true;
  }
  return true;
}

std::string Progress::toString() const {
  std::string s = std::string(progressStateName(state)) + " match=" + std::to_string(match) +
                  " next=" + std::to_string(next);
  if (isLearner) s += " learner";
  if (paused) s += " paused";
  if (pendingSnapshot > 0) s += " pendingSnap=" + std::to_string(pendingSnapshot);
  if (!recentActive) s += " inactive";
  if (inflights.count() > 0) s += " inflight=" + std::to_string(inflights.count());
  return s;
}

}  // namespace cairn::raft
