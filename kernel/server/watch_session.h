// ServerWatchSession: one client Watch stream as the SDK's WatchSession, over
// a watch::WatchStream of the server's hub. It translates etcd's
// WatchRequest into hub calls and completes response headers.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "cairn/host.h"
#include "watch/watch_sink.h"
#include "watch/watch_stream.h"

namespace cairn::server {

class Server;

class ServerWatchSession final : public WatchSession {
 public:
  ServerWatchSession(Server& server, std::function<void()> onReady);
  ~ServerWatchSession() override;

  void request(const etcdserverpb::WatchRequest& req) override;
  bool poll(etcdserverpb::WatchResponse* out) override;
  void close() override;

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

  Server& server_;
  std::shared_ptr<Relay> relay_;
  std::shared_ptr<watch::WatchStream> stream_;
};

}  // namespace cairn::server
