// DeleteWaiter: etcd's waitDeletes — wait until no key under a prefix has a
// create revision at or below a bound, i.e. until every participant that
// came before the caller is gone.
//
// It does not watch the whole prefix: it reads the one predecessor (the key
// with the highest create revision not above the bound), watches only that
// key for its deletion, and then reads again. So when a lock is released only
// the next waiter in line wakes and reads; the others keep watching their own
// predecessors. A waiter whose predecessor vanished early (its lease expired)
// moves on to the one before it.
//
// All methods and the result callback run on the loop thread. The watch
// session is opened with the caller's context on first use and reused for
// every predecessor (one watcher at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cairn/host.h"
#include "core.h"

namespace cairn::concurrency {

class DeleteWaiter : public std::enable_shared_from_this<DeleteWaiter> {
 public:
  // `result(status, header)`: OK with the header of the read that found no
  // predecessor left, or the error that ended the wait. Runs at most once,
  // never after cancel().
  using Result = std::function<void(Status, etcdserverpb::ResponseHeader&&)>;

  DeleteWaiter(Core& core, RequestContext ctx, std::string prefix, int64_t maxCreateRev,
               Result result);
  ~DeleteWaiter();

  void start();
  // Stops waiting and closes the watch session; no result follows.
  void cancel();

  // How many predecessor reads this waiter made (tests check that a release
  // wakes one waiter, not all).
  int reads() const { return reads_; }

 private:
  void readPredecessor();
  void onPredecessor(Status st, etcdserverpb::RangeResponse&& resp);
  void watchDeletion(const std::string& key, int64_t fromRevision);
  void onWatchReady();
  void complete(Status st, etcdserverpb::ResponseHeader&& header);
  void closeSession();

  // All fields: loop thread.
  Core& core_;
  const RequestContext ctx_;
  const std::string prefix_;
  const int64_t maxCreateRev_;
  Result result_;
  bool active_ = false;
  std::unique_ptr<WatchSession> session_;
  int64_t watchId_ = 0;  // the watcher on the current predecessor; 0: none
  int64_t lastWatchId_ = 0;
  int reads_ = 0;
};

}  // namespace cairn::concurrency
