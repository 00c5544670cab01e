// AutoCompactionSchedule: when etcd 3.4's compactor (etcdserver/api/
// v3compactor) compacts, as a pure state machine (no clock, no thread) so
// tests drive it with a fake clock. AutoCompactor runs it.
//
// Periodic mode (retention a duration P): every P/10 (at most 6 minutes)
// the current revision is recorded in a window of P/(P/10)+1 entries; once
// P has passed since the start (afterwards: min(P, 1h) since the last
// success) the oldest recorded revision, the one of about P ago, is
// compacted. A failure is retried the next round.
//
// Revision mode (retention N revisions): every 5 minutes, current - N is
// compacted unless it is <= 0 or the revision compacted last time.
//
// While paused (this member is not the leader) rounds still pass and
// periodic mode keeps recording, but nothing is compacted.
//
// Threads: one owner (AutoCompactor's thread, or a test).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace cairn::server {

class AutoCompactionSchedule {
 public:
  enum class Mode { Periodic, Revision };
  using TimePoint = std::chrono::steady_clock::time_point;

  // `retention`: nanoseconds in periodic mode, revisions in revision mode
  // (etcd's time.Duration either way); must be > 0.
  AutoCompactionSchedule(Mode mode, int64_t retention, TimePoint start);

  Mode mode() const { return mode_; }
  int64_t retention() const { return retention_; }
  // The wait between two rounds.
  std::chrono::nanoseconds interval() const;

  // A round begins (before its wait): periodic mode records `currentRev`.
  void beginRound(int64_t currentRev);
  // A round's wait is over: the revision to compact now, if any.
  std::optional<int64_t> due(TimePoint now, int64_t currentRev, bool paused);
  // The compaction of `rev` that due() asked for succeeded (or found it
  // compacted already: `ok` too) or failed.
  void finished(int64_t rev, bool ok, TimePoint now);

 private:
  std::chrono::nanoseconds compactInterval() const;  // periodic: min(P, 1h)

  const Mode mode_;
  const int64_t retention_;
  // Periodic mode.
  std::deque<int64_t> revs_;       // revs_.front() is the revision of about P ago
  TimePoint lastSuccess_;          // the start, then each success
  std::chrono::nanoseconds base_;  // P until the first compaction, then min(P, 1h)
  // Revision mode: the revision compacted last.
  int64_t prev_ = 0;
};

}  // namespace cairn::server
