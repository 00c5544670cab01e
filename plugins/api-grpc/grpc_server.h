// GrpcServer: etcd's v3 gRPC API on the member's client URLs.
//
// Owns one grpc::Server listening on every client URL, with the KV, Lease,
// Watch, Cluster and Maintenance services forwarding to the kernel, and
// GenericGrpcService serving the services plugins registered (and answering
// the rest UNIMPLEMENTED). It runs on gRPC's own callback threads; start()
// returns once the ports are bound. When another plugin owns the client
// listeners (cairn/connection.h) it binds nothing and serves the HTTP/2
// connections it is handed with adopt(): by default with api-grpc's own
// HTTP/2 transport (H2GrpcServer, every method of the same services, no
// gRPC C++ server at all), or with gRPC C++ under --grpc-transport=grpcpp. start() and stop() are
// called from one thread (the kernel's plugin lifecycle), never concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/host.h"
#include "cairn/status.h"
#include "cluster_grpc_service.h"
#include "generic_grpc_service.h"
#include "h2_grpc_server.h"
#include "kv_grpc_service.h"
#include "lease_grpc_service.h"
#include "maintenance_grpc_service.h"
#include "pump_thread.h"
#include "server_settings.h"
#include "watch_grpc_service.h"

namespace cairn::api {

class GrpcServer {
 public:
  // How long stop() lets in-flight calls finish before cancelling them.
  static constexpr std::chrono::milliseconds kDefaultShutdownGrace{2000};

  explicit GrpcServer(std::chrono::milliseconds shutdownGrace = kDefaultShutdownGrace)
      : shutdownGrace_(shutdownGrace) {}
  ~GrpcServer() { stop(); }

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds every client URL and starts serving. `host` must outlive stop().
  // Fails (serving nothing) on a setting it cannot read, a TLS URL, or a
  // port that cannot be bound.
  Status start(Host& host);

  // Stops accepting calls, lets in-flight calls finish for the grace period,
  // cancels the rest, and returns when gRPC holds no call of this server.
  // Watch streams never end on their own, so with one open stop() takes the
  // whole grace period. Kernel completions (and watch onReady calls) arriving
  // later are dropped. Idempotent.
  void stop();

  // Serves the connected socket `fd` (its first bytes an HTTP/2 preface,
  // unread), taking ownership. Before start() the socket waits for it;
  // after stop() it is closed. Any thread; never blocks for long.
  void adopt(int fd);

  // "host:port" per TCP URL with the port actually bound (useful with port
  // 0), or the socket path per unix URL; empty unless serving.
  const std::vector<std::string>& boundAddresses() const { return boundAddresses_; }

 private:
  // I/O threads of the own transport: one for every two cores this process
  // may run on, at least one; each connection stays on one. The other half
  // is the kernel's: its raft, apply and reply threads each hand every
  // batch to the next. On two cores, where a wake-up across cores costs
  // about 40 µs of CPU (docs/architecture.md, "Performance"), one I/O thread
  // instead of two took a third fewer context switches and a sixth less
  // server CPU per put at 100 clients; put-1000 and the watch shapes stayed
  // within the noise.
  static unsigned h2Threads();

  const std::chrono::milliseconds shutdownGrace_;
  // All below: owned by the lifecycle thread (start/stop).
  // Runs stream pumps posted by kernel callbacks (see grpc_executor.h);
  // installed while the server runs.
  std::shared_ptr<PumpThread> pump_;
  std::unique_ptr<KvGrpcService> kv_;
  std::unique_ptr<LeaseGrpcService> lease_;
  std::unique_ptr<WatchGrpcService> watch_;
  std::unique_ptr<ClusterGrpcService> cluster_;
  std::unique_ptr<MaintenanceGrpcService> maintenance_;
  std::unique_ptr<GenericGrpcService> generic_;
  std::unique_ptr<grpc::Server> server_;
  // Api-grpc's own HTTP/2 transport, serving the handed-over connections
  // instead of gRPC C++ when enabled.
  std::unique_ptr<H2GrpcServer> h2_;
  std::vector<std::string> boundAddresses_;

  // Guards the server as adopt() sees it: adopt() runs on the listener
  // owner's threads, concurrently with start() and stop().
  std::mutex adoptMu_;
  grpc::Server* adoptInto_ = nullptr;    // guarded by adoptMu_; set while serving
  H2GrpcServer* adoptIntoH2_ = nullptr;  // guarded by adoptMu_; set while serving
  bool stopped_ = false;                 // guarded by adoptMu_; after stop(), close
  std::vector<int> pendingFds_;          // guarded by adoptMu_; handed before start()
};

}  // namespace cairn::api
