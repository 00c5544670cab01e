// Compactor: physical compaction (deleting superseded revisions from the
// backend) on its own thread ("cairn-compact"), in batches of the store's
// batch limit 10 ms apart as etcd paces it, so a large compaction never
// stalls the apply loop, which only schedules it (KvStore::compact). Replies
// to `physical: true` compactions wait here until the revisions are gone.
//
// Owner: its thread; wake() and waitPhysical() come from the apply loop,
// under mu_.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "cairn/logger.h"
#include "mvcc/kv_store.h"
#include "wait_registry.h"

namespace cairn::server {

class Compactor {
 public:
  // `replies`: where waiting replies are completed (never on this thread's
  // caller).
  Compactor(mvcc::KvStore& store, boost::asio::thread_pool& replies, Logger& logger)
      : store_(store), replies_(replies), logger_(logger) {}
  ~Compactor() { stop(); }
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;

  void start();
  // Joins the thread. An unfinished compaction resumes on restart (its mark
  // is in the backend); replies still waiting fail with Error::Stopped.
  void stop();

  // A compaction was scheduled.
  void wake();
  // Answers `done` with `result` once no compaction is pending.
  void waitPhysical(ApplyDone done, ApplyResult result);

 private:
  void loop();

  mvcc::KvStore& store_;  // runPendingCompactions is safe beside the apply loop
  boost::asio::thread_pool& replies_;
  Logger& logger_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                                       // guarded by mu_
  std::vector<std::pair<ApplyDone, ApplyResult>> waiting_;  // guarded by mu_
};

}  // namespace cairn::server
