// ProgressWriter: proposes handlers' progress through Raft, coalesced.
//
// A runner records a revision after every completed one; proposing each
// would double the log traffic of a busy prefix. So each handler has at most
// one proposal in flight and the newest recorded revision goes next: the
// recorded progress trails the handler by at most one proposal's round
// trip, which is what a crash may cause to be handled again
// (at-least-once). flush() waits until everything recorded has applied.
//
// Thread-safe: record/pump/flush on the runner thread, completions on
// kernel threads (they only update state; proposing is left to the runner
// thread); all state is guarded by mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cairn/host.h"

namespace cairn::luahooks {

class ProgressWriter : public std::enable_shared_from_this<ProgressWriter> {
 public:
  explicit ProgressWriter(Host& host) : host_(host) {}

  // `handler` completed every event up to `revision`.
  void record(const std::string& handler, int64_t revision);
  // Proposes every recorded revision not applied or in flight (the runner
  // calls it while idle, so the newest progress goes out without waiting
  // for the next event).
  void pump();
  // True once every recorded revision has applied; false after `timeout`.
  bool flush(std::chrono::milliseconds timeout);
  // The last revision applied for `handler` through this writer (0: none).
  int64_t applied(const std::string& handler);

 private:
  struct Entry {
    int64_t wanted = 0;   // newest recorded
    int64_t applied = 0;  // newest the apply loop confirmed
    bool inflight = false;
  };
  // With mu_ held: takes `handler`'s wanted revision for proposing unless
  // one is in flight or it has applied; the caller proposes it after
  // unlocking (a completion may run inline).
  bool takeProposal(const std::string& handler, Entry& e, int64_t* revision);
  void propose(const std::string& handler, int64_t revision);

  Host& host_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace cairn::luahooks
