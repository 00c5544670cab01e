// ServerWatchSession: one client Watch stream as the SDK's WatchSession, over
// a watch::WatchStream of the member's hub. It translates etcd's
// WatchRequest into hub calls and completes response headers. With auth on,
// each create is authorized (the WatchCreateRequest, with the identity the
// stream opened with); a refused one, or every create of a stream whose
// caller could not be authenticated, is answered created + canceled with
// the error as cancel_reason, as etcd answers a watch it does not permit.
//
// Threads: request()/poll()/close() from any thread; the hub's threads
// signal through the Relay.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "cairn/authorizer.h"
#include "cairn/host.h"
#include "cluster_server.h"
#include "leader_monitor.h"
#include "watch/watch_hub.h"
#include "watch/watch_sink.h"
#include "watch/watch_stream.h"

namespace cairn::server {

class ServerWatchSession final : public WatchSession {
 public:
  // Who the stream's caller is, when auth is on (authorizer null: no checks).
  struct Access {
    Authorizer* authorizer = nullptr;
    Status authenticated;
    AuthInfo who;
  };

  // With `leaderMonitor` (a client that required a leader), the stream
  // ends with "etcdserver: no leader" when the monitor gives up on one.
  ServerWatchSession(watch::WatchHub& hub, const ClusterServer& cluster, Access access,
                     std::function<void()> onReady, LeaderMonitor* leaderMonitor = nullptr);
  ~ServerWatchSession() override;

  void request(const etcdserverpb::WatchRequest& req) override;
  bool poll(etcdserverpb::WatchResponse* out) override;
  bool pollEncoded(std::string* out) override;
  void close() override;
  Status failure() const override;

 private:
  // The hub's sink for this stream. Shared with the stream (which may be kept
  // alive briefly by a hub thread about to wake it), so it can outlive the
  // session; after disable() it never calls the frontend again.
  class Relay final : public watch::WatchSink {
   public:
    explicit Relay(std::function<void()> onReady) : onReady_(std::move(onReady)) {}
    void onReady() override;
    // Receives what WatchStream::flush() hands over, for poll() to return.
    void send(etcdserverpb::WatchResponse&& response) override;
    bool take(etcdserverpb::WatchResponse* out);
    void disable();

   private:
    std::mutex mu_;
    // Held under mu_ while called, so disable() returning means no call is
    // running or will start.
    std::function<void()> onReady_;                 // guarded by mu_
    std::deque<etcdserverpb::WatchResponse> sent_;  // guarded by mu_
  };

  // Status::ok() if the create may proceed.
  Status authorizeCreate(const etcdserverpb::WatchCreateRequest& create) const;

  const ClusterServer& cluster_;
  const Access access_;
  std::shared_ptr<Relay> relay_;
  std::shared_ptr<watch::WatchStream> stream_;
  // Keeps responses in order between poll() (relay first, then the stream)
  // and a refusal moving the stream's queue into the relay ahead of it.
  std::mutex orderMu_;
  LeaderMonitor* const leaderMonitor_;  // null: the client required no leader
  uint64_t monitorToken_ = 0;           // set in the constructor
  mutable std::mutex failureMu_;
  Status failure_;  // guarded by failureMu_; set once, by the leader monitor
};

}  // namespace cairn::server
