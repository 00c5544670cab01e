// Worker: one thread that runs queued jobs in order, for the work a request
// must not do on a frontend's thread (bcrypt comparisons take tens of
// milliseconds by design).
//
// Thread-safe; stop() runs what is queued, then joins. mu_ guards jobs_ and
// stopping_.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace cairn::auth {

class Worker {
 public:
  Worker() = default;
  ~Worker() { stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // False (and `job` is dropped) once stopping.
  bool post(std::function<void()> job);
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;                      // started and joined by the owner's thread
};

}  // namespace cairn::auth
