#include "h2_grpc_server.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>

namespace cairn::api {

void H2GrpcServer::start(Host& host, const ServerSettings& settings,
                         std::unique_ptr<GrpcCallMetrics> metrics, unsigned threads) {
  metrics_ = std::move(metrics);
  methods_ = std::make_unique<H2MethodTable>(host, metrics_.get());
  auto config = std::make_shared<H2GrpcConfig>();
  config->host = &host;
  config->methods = methods_.get();
  config->maxRequestBytes = settings.maxReceiveMessageBytes;
  config->session.maxConcurrentStreams = static_cast<std::uint32_t>(settings.maxConcurrentStreams);
  // Zero keeps grpc-go's defaults, as etcd passes zero through to it.
  if (settings.keepaliveMinTime.count() > 0) config->keepaliveMinTime = settings.keepaliveMinTime;
  if (settings.keepaliveInterval.count() > 0)
    config->keepaliveInterval = settings.keepaliveInterval;
  if (settings.keepaliveTimeout.count() > 0) config->keepaliveTimeout = settings.keepaliveTimeout;
  config_ = std::move(config);
  threads = std::max(1u, threads);
  for (unsigned i = 0; i < threads; ++i) {
    ios_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*ios_.back()));
  }
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([io = ios_[i].get()] {
      pthread_setname_np(pthread_self(), "cairn-h2-io");
      io->run();
    });
  }
  std::lock_guard lk(mu_);
  running_ = true;
}

void H2GrpcServer::adopt(int fd) {
  std::lock_guard lk(mu_);
  if (!running_) {
    ::close(fd);
    return;
  }
  auto connection = std::make_shared<H2GrpcConnection>(*ios_[next_], fd, config_);
  next_ = (next_ + 1) % ios_.size();
  // Forget connections that ended, so the list tracks the live ones.
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  connections_.push_back(connection);
  connection->start();
}

void H2GrpcServer::stop(std::chrono::milliseconds grace) {
  std::vector<std::weak_ptr<H2GrpcConnection>> connections;
  {
    std::lock_guard lk(mu_);
    if (!running_) return;
    running_ = false;
    connections.swap(connections_);
  }
  for (const auto& weak : connections) {
    if (auto c = weak.lock()) c->goAway();
  }
  // Calls get the grace period to end; connections with none left are
  // closed at once, as gRPC's Shutdown does.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  const auto busy = [&connections] {
    return std::any_of(connections.begin(), connections.end(), [](const auto& weak) {
      const auto c = weak.lock();
      return c && !c->idle();
    });
  };
  while (std::chrono::steady_clock::now() < deadline && busy()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& weak : connections) {
    if (auto c = weak.lock()) c->shutdown();
  }
  guards_.clear();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Connections still held by kernel completions find their io_context
  // gone only if they post: a closed connection posts nothing.
  ios_.clear();
  config_.reset();
  methods_.reset();
  metrics_.reset();
}

}  // namespace cairn::api
