#include "http_server.h"

#include <algorithm>

#include "client_tls.h"

namespace cairn::apihttp {
namespace {

// etcd's gRPC server takes --max-request-bytes plus this; the gateway's JSON
// carries bytes as base64 (4/3) plus field names, so the HTTP body limit
// leaves room for twice that before Beast refuses the body unread.
constexpr uint64_t kGrpcOverheadBytes = 512 * 1024;

}  // namespace

Status HttpServer::start(Host& host) {
  if (io_) return Status(StatusCode::FailedPrecondition, "api-http: server already started");
  std::vector<Url> clientUrls;
  std::vector<Url> metricsUrls;
  uint64_t maxRequestBytes = 0;
  if (Status s = host.settings().urls("listen-client-urls", &clientUrls); !s) return s;
  if (Status s = host.settings().urls("listen-metrics-urls", &metricsUrls); !s) return s;
  if (Status s = host.settings().uint64("max-request-bytes", &maxRequestBytes); !s) return s;
  if (clientUrls.empty()) {
    return Status(StatusCode::InvalidArgument,
                  "no client URLs to listen on (--listen-client-urls is empty)");
  }
  const uint64_t bodyLimit = 4 * (maxRequestBytes + kGrpcOverheadBytes);

  // TLS for https/unixs URLs, as etcd sets it up: given files, or with
  // --auto-tls and none given, a self-signed certificate of its own.
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::string crlFile;  // --client-crl-file, on every TLS listener as etcd's
  const auto secure = [](const Url& u) { return u.scheme == "https" || u.scheme == "unixs"; };
  if (std::any_of(clientUrls.begin(), clientUrls.end(), secure) ||
      std::any_of(metricsUrls.begin(), metricsUrls.end(), secure)) {
    ClientTlsOptions options;
    if (Status s = readClientTlsOptions(host.settings(), &options); !s) return s;
    if (options.autoTls) {
      if (!options.empty()) {
        host.logger().warn("api-http/http_server.cpp",
                           "ignoring client auto TLS since certs given");
      } else if (Status s =
                     makeSelfSignedCertificate(options.dataDir + "/fixtures/client", &options);
                 !s) {
        return s;
      }
    }
    if (!options.empty()) {
      if (Status s = makeServerTlsContext(options, &tls); !s) return s;
      crlFile = options.crlFile;
    }
  }

  auto io = std::make_unique<net::io_context>(kIoThreads);
  auto gateway = std::make_unique<JsonGateway>(host, maxRequestBytes);
  auto clientRouter = std::make_unique<Router>(host, gateway.get());
  auto metricsRouter = std::make_unique<Router>(host, nullptr);
  const ConnectionHandler* h2 = host.connections().connectionHandler("h2");

  std::vector<std::shared_ptr<ClientListener>> listeners;
  for (const Url& url : clientUrls) {
    std::shared_ptr<ClientListener> l;
    if (Status s = ClientListener::bind(*io, url, *clientRouter, h2, bodyLimit, true, tls, &l);
        !s) {
      return s;
    }
    listeners.push_back(std::move(l));
  }
  for (const Url& url : metricsUrls) {
    std::shared_ptr<ClientListener> l;
    if (Status s =
            ClientListener::bind(*io, url, *metricsRouter, nullptr, bodyLimit, false, tls, &l);
        !s) {
      return s;
    }
    listeners.push_back(std::move(l));
  }

  if (!crlFile.empty()) {
    for (const auto& l : listeners) {
      if (l->secure()) l->refuseRevoked(crlFile, host.logger());
    }
  }
  memberMetrics_ = std::make_unique<MemberMetrics>(host);
  io_ = std::move(io);
  gateway_ = std::move(gateway);
  clientRouter_ = std::move(clientRouter);
  metricsRouter_ = std::move(metricsRouter);
  listeners_ = std::move(listeners);
  work_.emplace(io_->get_executor());
  for (const auto& l : listeners_) l->start();
  for (int i = 0; i < kIoThreads; ++i) threads_.emplace_back([io = io_.get()] { io->run(); });

  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    const bool client = i < clientUrls.size();
    const char* what = !client                   ? "serving metrics"
                       : listeners_[i]->secure() ? "serving client traffic securely"
                                                 : "serving client traffic insecurely; this is "
                                                   "strongly discouraged!";
    host.logger().info("api-http/http_server.cpp", what,
                       jsonField("address", listeners_[i]->boundAddress()));
  }
  return Status::ok();
}

void HttpServer::stop() {
  if (!io_) return;
  for (const auto& l : listeners_) l->close();
  // Streams end first, so that no kernel callback posts to a connection
  // while the loop and its sockets are torn down.
  gateway_->closeStreams();
  work_.reset();
  // Open connections never end on their own (keep-alive): stop the loop,
  // then destroying the io_context closes every socket it still holds.
  io_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  listeners_.clear();
  io_.reset();
  memberMetrics_.reset();
  metricsRouter_.reset();
  clientRouter_.reset();
  gateway_.reset();
}

std::vector<std::string> HttpServer::boundAddresses() const {
  std::vector<std::string> out;
  for (const auto& l : listeners_) out.push_back(l->boundAddress());
  return out;
}

}  // namespace cairn::apihttp
