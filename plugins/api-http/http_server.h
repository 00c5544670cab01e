// HttpServer: the client listeners (every --listen-client-urls URL, gRPC and
// HTTP/1.x on each) and the --listen-metrics-urls listeners, served by one
// io_context on a small pool of threads (no thread per connection).
//
// start() and stop() run on the kernel's plugin lifecycle thread, never
// concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "asio_types.h"
#include "cairn/host.h"
#include "cairn/status.h"
#include "client_listener.h"
#include "json_gateway.h"
#include "member_metrics.h"
#include "router.h"

namespace cairn::apihttp {

class HttpServer {
 public:
  static constexpr int kIoThreads = 2;

  HttpServer() = default;
  ~HttpServer() { stop(); }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every URL (all or nothing) and starts serving. `host` must outlive
  // stop().
  Status start(Host& host);
  // Closes the listeners and every open connection, joins the threads.
  // Idempotent.
  void stop();

  // "host:port" (bound port) or socket path per client URL, then per
  // metrics URL; empty unless serving.
  std::vector<std::string> boundAddresses() const;

 private:
  // All below: owned by the lifecycle thread; the io threads only read the
  // routers, gateway and listeners while running.
  std::unique_ptr<net::io_context> io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::unique_ptr<JsonGateway> gateway_;
  std::unique_ptr<Router> clientRouter_;
  std::unique_ptr<Router> metricsRouter_;
  std::unique_ptr<MemberMetrics> memberMetrics_;
  std::vector<std::shared_ptr<ClientListener>> listeners_;
  std::vector<std::thread> threads_;
};

}  // namespace cairn::apihttp
