// PumpThread: one thread of the api-grpc plugin that runs the stream pumps
// posted by kernel callbacks (a watch stream's onReady), in order.
//
// Why not gRPC's executor: gRPC offers none; the way in is an alarm due
// now, which costs an allocation, a timer and a wake-up of one of gRPC's
// executor threads per post. One applied revision signals every stream it
// feeds (1,000 streams: 1,000 posts), and the wake-ups and context switches
// of those threads were about a quarter of the server's CPU under watch
// fan-out. Here a post is a push under a mutex; the thread is woken only
// when it sleeps, and takes everything queued at once.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn::api {

class PumpThread {
 public:
  PumpThread();
  // Runs what is still queued, then joins the thread.
  ~PumpThread();
  PumpThread(const PumpThread&) = delete;
  PumpThread& operator=(const PumpThread&) = delete;

  // Any thread; never blocks on the work itself.
  void post(std::function<void()> fn);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  bool sleeping_ = false;                     // the thread waits on wake_; mu_
  bool stopping_ = false;                     // mu_
  std::thread thread_;                        // started last, joined by the destructor
};

}  // namespace cairn::api
