#include "grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <fcntl.h>
#include <grpc/grpc.h>
#include <grpcpp/server_posix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "bind_probe.h"
#include "grpc_call_metrics.h"
#include "grpc_executor.h"

namespace cairn::api {

unsigned GrpcServer::h2Threads() {
  // The cores of this process's affinity mask (taskset, a container's
  // cpuset), not the machine's.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const int cores = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 2;
  return static_cast<unsigned>(std::max(1, cores / 2));
}

Status GrpcServer::start(Host& host) {
  if (server_ || h2_) {
    return Status(StatusCode::FailedPrecondition, "api-grpc: server already started");
  }

  ServerSettings settings;
  if (Status s = serverSettingsFrom(host.settings(), settings); !s.isOk()) return s;

  // Debian's Abseil is built without NDEBUG, which leaves absl::Mutex's
  // deadlock detection on: every lock gRPC takes (several per message
  // written) updates a lock-order graph and records a stack trace. A
  // debugging aid, measured at a few percent of a watch stream's CPU.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::vector<std::string> served = {"etcdserverpb.KV",          "etcdserverpb.Watch",
                                     "etcdserverpb.Lease",       "etcdserverpb.Cluster",
                                     "etcdserverpb.Maintenance", "etcdserverpb.Auth"};
  for (const ServiceDef* def : host.services().all()) {
    if (std::find(served.begin(), served.end(), def->name) == served.end()) {
      served.push_back(def->name);
    }
  }
  auto callMetrics = std::make_unique<GrpcCallMetrics>(host.metrics(), served);

  // Another plugin owns the client URLs: bind nothing, serve what it hands
  // over (adopt()), with the own transport unless told otherwise.
  const bool handedOver = host.connections().listenersClaimed();
  if (handedOver && settings.ownTransport) {
    h2_ = std::make_unique<H2GrpcServer>();
    h2_->start(host, settings, std::move(callMetrics), h2Threads());
    std::vector<int> pending;
    std::lock_guard lk(adoptMu_);
    adoptIntoH2_ = h2_.get();
    stopped_ = false;
    pending.swap(pendingFds_);
    for (int fd : pending) adoptIntoH2_->adopt(fd);
    return Status::ok();
  }

  const int limit = settings.maxReceiveMessageBytes;
  auto kv = std::make_unique<KvGrpcService>(host.kv(), limit);
  auto lease = std::make_unique<LeaseGrpcService>(host.lease(), limit);
  auto watch = std::make_unique<WatchGrpcService>(
      host.watch(), limit, callMetrics->takeOver("/etcdserverpb.Watch/Watch"));
  auto cluster = std::make_unique<ClusterGrpcService>(host.cluster(), limit);
  auto maintenance = std::make_unique<MaintenanceGrpcService>(host.maintenance(), limit);
  std::vector<ServiceDef> own;
  own.push_back(MaintenanceGrpcService::snapshotService(host.maintenance()));
  auto generic = std::make_unique<GenericGrpcService>(host.services(), std::move(own), limit);

  grpc::ServerBuilder builder;
  // AddListeningPort writes the bound port here during BuildAndStart, so the
  // storage must not move until then.
  if (handedOver) settings.listen.clear();
  for (const ListenAddress& address : settings.listen) {
    if (address.secure) {
      return Status(StatusCode::Unimplemented,
                    "cannot serve " + address.url +
                        ": client TLS is terminated by the api-http plugin; add api-http to "
                        "--plugins");
    }
  }
  std::vector<int> selectedPorts(settings.listen.size(), 0);
  for (size_t i = 0; i < settings.listen.size(); ++i) {
    builder.AddListeningPort(settings.listen[i].grpcTarget, grpc::InsecureServerCredentials(),
                             &selectedPorts[i]);
  }
  builder.RegisterService(kv.get());
  builder.RegisterService(lease.get());
  builder.RegisterService(watch.get());
  builder.RegisterService(cluster.get());
  builder.RegisterService(maintenance.get());
  builder.RegisterCallbackGenericService(generic.get());

  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::move(callMetrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  builder.SetMaxReceiveMessageSize(settings.transportReceiveLimitBytes);
  builder.SetMaxSendMessageSize(settings.maxSendMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, settings.maxConcurrentStreams);
  // gRPC sets SO_REUSEPORT by default, which would let a second member bind
  // the same client port silently; etcd (Go) fails with "address in use".
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (settings.keepaliveMinTime.count() > 0) {
    // etcd's enforcement policy: pings closer than min time are strikes, and
    // pings without an active call are not permitted (PermitWithoutStream).
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                               static_cast<int>(settings.keepaliveMinTime.count()));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  }
  if (settings.keepaliveInterval.count() > 0 && settings.keepaliveTimeout.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                               static_cast<int>(settings.keepaliveInterval.count()));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                               static_cast<int>(settings.keepaliveTimeout.count()));
    // grpc-go's server keeps pinging an idle connection; gRPC core stops
    // after two pings without data unless told otherwise.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  bool allBound = server != nullptr;
  for (int port : selectedPorts) allBound = allBound && port != 0;
  if (!allBound) {
    if (server) server->Shutdown(std::chrono::system_clock::now());
    for (const ListenAddress& address : settings.listen) {
      if (std::optional<std::string> why = describeBindFailure(address)) {
        return Status(StatusCode::Unavailable, *why);
      }
    }
    std::string urls;
    for (const ListenAddress& address : settings.listen) {
      urls += (urls.empty() ? "" : ",") + address.url;
    }
    return Status(StatusCode::Unavailable,
                  "api-grpc: failed to start the gRPC server on " + urls + " (see gRPC log)");
  }

  boundAddresses_.clear();
  for (size_t i = 0; i < settings.listen.size(); ++i) {
    const ListenAddress& address = settings.listen[i];
    std::string bound = address.address;
    if (address.network == "tcp") {
      bound = address.address.substr(0, address.address.rfind(':') + 1) +
              std::to_string(selectedPorts[i]);
    }
    boundAddresses_.push_back(bound);
    host.logger().info("api-grpc/grpc_server.cpp",
                       "serving client traffic insecurely; this is strongly discouraged!",
                       jsonField("address", bound));
  }
  kv_ = std::move(kv);
  lease_ = std::move(lease);
  watch_ = std::move(watch);
  cluster_ = std::move(cluster);
  maintenance_ = std::move(maintenance);
  generic_ = std::move(generic);
  server_ = std::move(server);
  // Pumps posted before this (a stream opened at once) ran on gRPC's
  // executor: correct either way.
  pump_ = std::make_shared<PumpThread>();
  installPumpThread(pump_);
  std::vector<int> pending;
  {
    std::lock_guard lk(adoptMu_);
    adoptInto_ = server_.get();
    stopped_ = false;
    pending.swap(pendingFds_);
    for (int fd : pending) grpc::AddInsecureChannelFromFd(adoptInto_, fd);
  }
  return Status::ok();
}

namespace {

// gRPC's fd adoption (grpc_server_add_channel_from_fd) takes the socket as it
// is, while its own listener makes every accepted socket non-blocking and
// turns Nagle off. A socket accepted elsewhere (Asio accepts blocking
// sockets) must be given the same shape, or a write into a full send buffer
// (a client that stopped reading) blocks a gRPC poller thread, and small
// frames wait for delayed ACKs.
void prepareAdoptedSocket(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

void GrpcServer::adopt(int fd) {
  prepareAdoptedSocket(fd);
  std::lock_guard lk(adoptMu_);
  if (adoptIntoH2_ != nullptr) {
    adoptIntoH2_->adopt(fd);
  } else if (adoptInto_ != nullptr) {
    grpc::AddInsecureChannelFromFd(adoptInto_, fd);
  } else if (stopped_) {
    ::close(fd);
  } else {
    pendingFds_.push_back(fd);
  }
}

void GrpcServer::stop() {
  {
    std::lock_guard lk(adoptMu_);
    adoptInto_ = nullptr;
    adoptIntoH2_ = nullptr;
    stopped_ = true;
    for (int fd : pendingFds_) ::close(fd);
    pendingFds_.clear();
  }
  if (h2_) {
    h2_->stop(shutdownGrace_);
    h2_.reset();
  }
  if (!server_) return;
  // After the deadline gRPC cancels what is still running; every reactor
  // finishes a cancelled call at once (a stream after its write in flight
  // fails), so Shutdown returns without waiting for the kernel. It returns only when no call of
  // this server remains, so the services can be destroyed right after.
  server_->Shutdown(std::chrono::system_clock::now() + shutdownGrace_);
  server_.reset();
  // No call is left to post a pump; what is queued finds its stream gone.
  removePumpThread(pump_.get());
  pump_.reset();
  kv_.reset();
  lease_.reset();
  watch_.reset();
  cluster_.reset();
  maintenance_.reset();
  generic_.reset();
  boundAddresses_.clear();
}

}  // namespace cairn::api
