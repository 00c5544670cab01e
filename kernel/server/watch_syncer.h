// WatchSyncer: catches lagging watchers up from history and sends periodic
// progress notifications, on its own thread ("cairn-watch"), so neither the
// apply loop nor a client stream waits for history reads. etcd's cadence:
// every 100 ms, every 10 ms while some watcher lags, at most 10,000 history
// keys a round; and at once when the hub kicks it (a client drained an
// overflowed stream, so its lagging watchers have room again).
//
// Owner: its thread; start()/stop() from the server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "watch/watch_hub.h"

namespace cairn::server {

class WatchSyncer {
 public:
  WatchSyncer(watch::WatchHub& hub, std::chrono::nanoseconds progressInterval)
      : hub_(hub), progressInterval_(progressInterval) {}
  ~WatchSyncer() { stop(); }
  WatchSyncer(const WatchSyncer&) = delete;
  WatchSyncer& operator=(const WatchSyncer&) = delete;

  void start();
  void stop();

 private:
  void loop();

  watch::WatchHub& hub_;  // internally synchronised
  const std::chrono::nanoseconds progressInterval_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;    // guarded by mu_
  bool kicked_ = false;  // the hub asked for a round now; guarded by mu_
};

}  // namespace cairn::server
