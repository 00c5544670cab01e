#pragma once

#include <grpcpp/channel.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "run_clock.h"
#include "watch_options.h"
#include "watch_plan.h"

namespace cairn::bench {

// One event as a watcher received it, reduced to what verification needs.
struct ReceivedEvent {
  std::int64_t modRevision = 0;
  std::int64_t atMicros = 0;  // RunClock time the response was read
  std::uint64_t kvDigest = 0;
  std::uint64_t prevDigest = 0;
  std::uint32_t keyId = 0;  // WatchKeySpace id
  std::uint32_t bytes = 0;  // encoded size of the event
  bool isDelete = false;
  bool hasPrev = false;
};

// Everything one watcher saw.
struct WatcherLog {
  int created = 0;  // created responses mapped to this watcher
  std::int64_t watchId = -1;
  bool canceled = false;
  std::string cancelReason;
  std::vector<ReceivedEvent> events;
};

// What a stream saw besides its watchers' events.
struct StreamReport {
  bool slow = false;
  std::int64_t pausedAtMicros = -1;  // slow streams: when reading stopped
  std::int64_t resumedAtMicros = -1;
  std::vector<std::string> errors;  // protocol violations and unexpected ends
};

// Drives every watch stream from a few completion-queue threads (gRPC's
// async API): streams are spread round-robin over the threads, and a
// stream's state is only touched by its thread, so no stream state needs a
// lock. Creates are pipelined: the next create request is written as soon
// as the previous write completes, and created responses are matched to
// requests in order (etcd answers a stream's creates in request order).
class WatchStreamPool {
 public:
  WatchStreamPool(const WatchOptions& options, const RunClock& clock, const WatchKeySpace& keys,
                  const std::vector<WatcherSpec>& specs,
                  const std::vector<std::shared_ptr<grpc::Channel>>& channels);
  ~WatchStreamPool();

  WatchStreamPool(const WatchStreamPool&) = delete;
  WatchStreamPool& operator=(const WatchStreamPool&) = delete;

  // Opens every stream and starts creating watchers; startRevisions[w] is
  // watcher w's start_revision (0: the next revision).
  void start(const std::vector<std::int64_t>& startRevisions);

  // Progress counters, safe to read while running.
  std::int64_t created() const;
  std::int64_t eventsReceived() const;
  std::int64_t streamsEnded() const;  // streams that ended before stop()

  // From now on each slow stream stops reading, once, after its next
  // response that carries events.
  void armSlowPause() { slowPauseArmed_.store(true); }

  // Cancels every stream and joins the threads. The accessors below are
  // valid only after stop().
  void stop();

  const WatcherLog& watcher(std::size_t index) const { return logs_[index]; }
  const StreamReport& stream(std::size_t index) const;
  std::size_t streamCount() const;

  class Poller;
  struct Stream;

 private:
  const WatchOptions& options_;
  const RunClock& clock_;
  const WatchKeySpace& keys_;
  const std::vector<WatcherSpec>& specs_;
  std::vector<std::int64_t> startRevisions_;  // written before the threads start
  std::vector<std::unique_ptr<etcdserverpb::Watch::Stub>> stubs_;
  std::vector<WatcherLog> logs_;  // entry w owned by the thread of w's stream until stop()
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<std::unique_ptr<Poller>> pollers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> slowPauseArmed_{false};  // set by the run's main thread
  bool stopped_ = false;

  friend class Poller;
};

}  // namespace cairn::bench
