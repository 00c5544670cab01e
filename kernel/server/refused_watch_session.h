// RefusedWatchSession: a Watch stream the CallGate refused at open (etcd's
// stream interceptor answers a learner, or a require-leader client while
// there is no leader, before any request is read). It serves nothing and
// reports the refusal through failure(), with which the frontend ends the
// call.
//
// Threads: any (immutable).
#pragma once

#include "cairn/host.h"

namespace cairn::server {

class RefusedWatchSession final : public WatchSession {
 public:
  explicit RefusedWatchSession(Status refusal) : refusal_(std::move(refusal)) {}

  void request(const etcdserverpb::WatchRequest& /*req*/) override {}
  bool poll(etcdserverpb::WatchResponse* /*out*/) override { return false; }
  void close() override {}
  Status failure() const override { return refusal_; }

 private:
  const Status refusal_;
};

}  // namespace cairn::server
