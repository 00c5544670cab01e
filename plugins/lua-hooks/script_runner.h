// ScriptRunner: the thread that feeds one script's handlers their events,
// on the leader only (the HookManager starts and stops it).
//
// Each handler is one watcher of the runner's WatchSession, created from the
// handler's replicated progress + 1, so history it missed (a restart, a new
// leader) is replayed before live events, in revision order, by the
// kernel's watch machinery; a slow handler only makes its watcher fall
// behind and catch up from history — the apply loop never waits for it.
// Events are handled one at a time, handler by handler in the order the
// session delivers them. After the events of a revision are done the
// handler's progress is recorded (ProgressWriter, coalesced).
//
// Threads: start()/stop() on the manager's control thread; everything else
// on the runner thread. The watch session's onReady (a kernel thread) only
// sets ready_ under mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cairn/host.h"
#include "hook_metrics.h"
#include "host_kv_gateway.h"
#include "progress_writer.h"
#include "script.h"

namespace cairn::luahooks {

// What happens to an event whose handler fails (docs/lua-hooks.md): it is
// tried kMaxAttempts times in all, waiting kRetryDelays between attempts;
// then it is logged, counted in cairn_hook_events_failed_total and the
// handler moves on. Leadership loss or shutdown interrupt the retries
// without recording progress, so the new leader tries the event again.
struct RetryPolicy {
  static constexpr int kMaxAttempts = 3;
  static constexpr std::chrono::milliseconds kRetryDelays[] = {std::chrono::milliseconds(100),
                                                               std::chrono::milliseconds(1000)};
};

class ScriptRunner {
 public:
  ScriptRunner(Host& host, Script& script, HookMetrics& metrics);
  ~ScriptRunner();
  ScriptRunner(const ScriptRunner&) = delete;
  ScriptRunner& operator=(const ScriptRunner&) = delete;

  void start();
  // Interrupts the handler between events (a call in progress finishes
  // first, bounded by the instruction budget and the KV timeout), records
  // the progress made and joins. Idempotent.
  void stop();

 private:
  struct HandlerState {
    int64_t revision = 0;  // the revision whose events are being handled
    int64_t index = 0;     // events of `revision` handled so far
    bool live = false;     // the watcher exists
  };

  void run();
  bool stopping();
  // Waits `d` unless stop() comes first; false if stopping.
  bool sleepFor(std::chrono::milliseconds d);
  // Reads (or, for a new handler, records) the handler's progress.
  bool startFrom(size_t handler, int64_t* from);
  void createWatcher(size_t handler, int64_t from);
  void onResponse(const etcdserverpb::WatchResponse& resp);
  // False if interrupted by stop() (the event counts as not handled).
  bool handle(size_t handler, const mvccpb::Event& ev, int64_t index);
  void completed(size_t handler, int64_t revision);

  Host& host_;
  Script& script_;  // owned by the manager; outlives this runner
  HookMetrics& metrics_;
  HostKvGateway kv_;
  std::shared_ptr<ProgressWriter> progress_;  // shared with proposal completions
  std::unique_ptr<WatchSession> session_;     // runner thread
  std::vector<HandlerState> handlers_;        // runner thread

  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;     // guarded by mu_: the session has responses
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // control thread starts and joins it
};

}  // namespace cairn::luahooks
