// Core: what every lock and election call shares — the Host, the plugin's
// event loop, the registry of live calls, and the rules for turning kernel
// answers into the answers etcd's services give.
//
// Threads. Frontend threads only create calls and hand them to launch();
// kernel threads only post completions (Core::resume). Everything else —
// every Call's state, the registry, the Host calls themselves — runs on the
// loop thread, so call state needs no locks. The exceptions are named at
// their fields (the in-flight count; an Observe call's outgoing queue).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "cairn/host.h"
#include "cairn/request_context.h"
#include "cairn/status.h"
#include "event_loop.h"

namespace cairn::concurrency {

// etcd's services run the recipes through an in-process clientv3 client,
// which turns every server error into a plain Go error; grpc-go then sends
// it as UNKNOWN with the message unchanged ("etcdserver: requested lease not
// found"). Cancellation and deadline statuses pass through as they are.
Status asClientError(const Status& st);

// The status of a call whose client went away (CANCELLED "context canceled")
// or whose deadline passed (DEADLINE_EXCEEDED "context deadline exceeded"),
// grpc-go's words.
Status contextStatus(const RequestContext& ctx);

// True if the caller went away or its deadline passed.
bool contextDone(const RequestContext& ctx);

// The context of a cleanup write made after the caller left (etcd uses the
// client's own context there): the caller's identity, no deadline, never
// cancelled.
RequestContext detached(const RequestContext& ctx);

class Core;

// One client call: a state machine advanced on the loop thread. It lives in
// the core's registry from launch until it finishes; the registry releases it
// from a later loop task, so a call may finish from any of its methods.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(Core& core, RequestContext ctx) : core_(core), ctx_(std::move(ctx)) {}
  virtual ~Call() = default;

  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // Loop thread: begins the work.
  virtual void start() = 0;
  // The call must end now with `why`: its client cancelled, its deadline
  // passed, or the plugin stops. Also called on the launching thread, before
  // start(), when the call is refused. Releases what the call holds (etcd
  // deletes a waiter's key when its wait is abandoned).
  virtual void abandon(Status why) = 0;

  bool finished() const { return finished_; }
  const RequestContext& context() const { return ctx_; }

 protected:
  // Marks the call over and removes it from the registry.
  void markFinished();

  // etcd's services open a concurrency.Session per call: a call that names
  // no lease (0) gets a fresh lease of kDefaultSessionTtl seconds, which is
  // never kept alive. `next(status, lease)` runs on the loop thread.
  void withSessionLease(int64_t lease, std::function<void(Status, int64_t)> next);

  // Deletes `key` as a cleanup (nobody waits for the answer).
  void cleanupDelete(const std::string& key);

  Core& core_;
  const RequestContext ctx_;

 private:
  friend class Core;
  bool finished_ = false;  // loop thread (or the launching thread before launch)
  uint64_t id_ = 0;        // registry key; 0 until launched. Loop thread.
};

// A unary call answering through `done` exactly once.
template <typename Response>
class UnaryCall : public Call {
 public:
  UnaryCall(Core& core, RequestContext ctx, Done<Response> done)
      : Call(core, std::move(ctx)), done_(std::move(done)) {}

 protected:
  void finish(Status st, Response&& response) {
    if (finished()) return;
    markFinished();
    Done<Response> done = std::move(done_);
    done(std::move(st), std::move(response));
  }
  void fail(Status st) { finish(std::move(st), Response{}); }

 private:
  Done<Response> done_;  // moved out by the one finish()
};

class Core : public std::enable_shared_from_this<Core> {
 public:
  // How often the loop looks for cancelled calls and passed deadlines.
  static constexpr std::chrono::milliseconds kSweepInterval{50};
  // How long stop() waits for the kernel to answer requests still in flight
  // (cleanup deletes above all).
  static constexpr std::chrono::milliseconds kStopGrace{3000};

  Core();
  ~Core();

  // Lifecycle thread. `host` outlives stop().
  Status start(Host& host);
  // Ends every live call (Stopped), waits for in-flight kernel requests (up to
  // kStopGrace), stops the loop. Idempotent.
  void stop();

  // Any thread: registers and starts `call` on the loop, or, when the plugin
  // is not serving, abandons it at once with NotCapable (not started yet) or
  // Stopped.
  void launch(std::shared_ptr<Call> call);

  // Loop thread.
  Host& host() { return *host_; }

  // The completion of a Host request made on the loop: counted in flight until
  // the kernel answers; `fn(status, response)` then runs on the loop while
  // `anchor` keeps its owner alive. Dropped if the loop has stopped.
  template <typename Response, typename Fn>
  Done<Response> resume(std::shared_ptr<void> anchor, Fn fn) {
    beginRequest();
    return [core = shared_from_this(), anchor = std::move(anchor), fn = std::move(fn)](
               Status st, Response&& response) {
      // std::function must be copyable: the response travels in a shared_ptr.
      auto shared = std::make_shared<Response>(std::move(response));
      core->loop_.post([anchor, fn, st = std::move(st), shared]() mutable {
        fn(std::move(st), std::move(*shared));
      });
      core->endRequest();
    };
  }

  // The completion of a request nobody waits for (cleanup): counted in flight
  // so stop() lets it land.
  template <typename Response>
  Done<Response> ignore() {
    beginRequest();
    return [core = shared_from_this()](Status, Response&&) { core->endRequest(); };
  }

  // Any thread: queues `task` on the loop; false once the loop stopped.
  bool post(std::function<void()> task) { return loop_.post(std::move(task)); }

  // Loop thread: live calls (for tests and the shutdown log).
  size_t liveCalls() const { return calls_.size(); }

 private:
  friend class Call;
  enum class State { NotStarted, Running, Stopped };

  void unregister(uint64_t id);  // loop thread
  void sweep();                  // loop thread: abandons cancelled / late calls
  void shutdown();               // loop thread: abandons every call
  void beginRequest();
  void endRequest();

  EventLoop loop_;
  Host* host_ = nullptr;  // set by start() before the loop runs; then read-only
  std::atomic<State> state_{State::NotStarted};      // lifecycle thread writes
  std::map<uint64_t, std::shared_ptr<Call>> calls_;  // loop thread
  uint64_t nextId_ = 1;                              // loop thread
  bool stopping_ = false;                            // loop thread

  std::mutex inflightMu_;
  std::condition_variable inflightCv_;
  int64_t inflight_ = 0;  // guarded by inflightMu_: Host requests not yet answered
};

}  // namespace cairn::concurrency
