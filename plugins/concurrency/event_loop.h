// EventLoop: the concurrency plugin's one thread.
//
// Every lock, election and observe call is a small state machine advanced by
// the kernel's completions (KV/Lease `done`, watch `onReady`). Those arrive on
// kernel threads that must not block and must not be re-entered (a watch
// session calls onReady under its own lock), so each completion only posts a
// task here; all call state is then touched by this one thread and needs no
// lock of its own. A waiter costs a queued task and a watcher, never a thread.
//
// The loop also runs `onTick` every `tick` (and early when asked with
// tickBy): the SDK's CancelToken has no callback, so cancelled calls are
// found by polling; deadlines are known and get a wake-up of their own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace cairn::concurrency {

class EventLoop {
 public:
  using Task = std::function<void()>;

  EventLoop(std::chrono::milliseconds tick, Task onTick);
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the thread. Called once, by the plugin lifecycle.
  void start();
  // Queues `task` (any thread, including the loop's). False, and `task` is
  // destroyed unrun, unless the loop is running.
  bool post(Task task);
  // Refuses new tasks, drops queued ones and joins. Idempotent; not from the
  // loop thread.
  void stop();
  // Runs onTick no later than `when` (any thread): a call's deadline is then
  // honoured on time, not up to a tick late.
  void tickBy(std::chrono::steady_clock::time_point when);

  bool onLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void run();

  const std::chrono::milliseconds tick_;
  const Task onTick_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;                          // guarded by mu_
  bool running_ = false;                            // guarded by mu_
  std::chrono::steady_clock::time_point nextTick_;  // guarded by mu_
  std::thread thread_;                              // started and joined by the lifecycle thread
};

}  // namespace cairn::concurrency
