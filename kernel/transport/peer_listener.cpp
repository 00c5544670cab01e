#include "peer_listener.h"

#include <cctype>

namespace cairn::transport {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Status listenPeerUrl(asio::io_context& io, const Url& url, const PeerTls* tls,
                     std::unique_ptr<tcp::acceptor>* out) {
  if (url.scheme != "http" && url.scheme != "https") {
    return Status(StatusCode::Unimplemented,
                  "peer URL " + url.raw +
                      ": only http:// and https:// peer URLs are supported (unix sockets are "
                      "not yet in effect for peers in this Cairn build)");
  }
  const std::string host =
      url.host == "localhost" ? "127.0.0.1" : (url.host.empty() ? "0.0.0.0" : url.host);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return Status(StatusCode::InvalidArgument, "listen tcp " + url.host + ":" +
                                                   std::to_string(url.port) +
                                                   ": cannot use host: " + ec.message());
  }
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  const tcp::endpoint endpoint(address, url.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    // Go prints errno texts in lower case.
    std::string why = ec.message();
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return Status(StatusCode::Unavailable,
                  "listen tcp " + host + ":" + std::to_string(url.port) + ": bind: " + why);
  }
  if (url.scheme == "https" && (tls == nullptr || !tls->serves())) {
    // As etcd's newTLSListener, naming the bound address.
    return Status(
        StatusCode::InvalidArgument,
        PeerTls::cannotListen(host + ":" + std::to_string(acceptor->local_endpoint().port())));
  }
  *out = std::move(acceptor);
  return Status::ok();
}

Status checkPeerListeners(const std::vector<Url>& urls, const PeerTls* tls) {
  asio::io_context io;
  // All held until the end, so two equal URLs collide as they would in the
  // transport.
  std::vector<std::unique_ptr<tcp::acceptor>> bound;
  for (const Url& url : urls) {
    std::unique_ptr<tcp::acceptor> acceptor;
    if (Status st = listenPeerUrl(io, url, tls, &acceptor); !st) return st;
    bound.push_back(std::move(acceptor));
  }
  return Status::ok();
}

}  // namespace cairn::transport
