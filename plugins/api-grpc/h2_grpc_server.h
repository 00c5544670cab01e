// H2GrpcServer: api-grpc's own HTTP/2 transport for the connections the
// client listeners' owner hands over (h2/session.h says why it exists).
//
// A few I/O threads ("cairn-h2-io"), each with its own io_context; a new
// connection goes to the next one in turn and stays there. start() and
// stop() come from the plugin's lifecycle thread; adopt() from the
// listener owner's threads.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cairn/host.h"
#include "h2_grpc_connection.h"
#include "h2_method_table.h"
#include "server_settings.h"

namespace cairn::api {

class H2GrpcServer {
 public:
  H2GrpcServer() = default;
  ~H2GrpcServer() { stop(std::chrono::milliseconds(0)); }
  H2GrpcServer(const H2GrpcServer&) = delete;
  H2GrpcServer& operator=(const H2GrpcServer&) = delete;

  // `host` must outlive stop(). `metrics` (may be null) counts the calls.
  void start(Host& host, const ServerSettings& settings, std::unique_ptr<GrpcCallMetrics> metrics,
             unsigned threads);
  // Serves the connected socket `fd`, taking ownership; closes it unless
  // running. Any thread.
  void adopt(int fd);
  // GOAWAY to every connection, up to `grace` for their calls to end, then
  // every connection closed and the threads joined.
  void stop(std::chrono::milliseconds grace);

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  // Owned by the lifecycle thread (start/stop); read by adopt() under mu_.
  std::unique_ptr<GrpcCallMetrics> metrics_;
  std::unique_ptr<H2MethodTable> methods_;
  std::shared_ptr<const H2GrpcConfig> config_;
  std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;

  std::mutex mu_;
  bool running_ = false;  // guarded by mu_
  std::size_t next_ = 0;  // guarded by mu_: the io_context of the next connection
  std::vector<std::weak_ptr<H2GrpcConnection>> connections_;  // guarded by mu_
};

}  // namespace cairn::api
