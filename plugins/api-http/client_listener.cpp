#include "client_listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cctype>
#include <cstring>

#include "connection_sniffer.h"
#include "http_session.h"
#include "tls/crl_check.h"
#include "tls_bridge.h"

namespace cairn::apihttp {
namespace {

// Go prints syscall errors in lower case ("address already in use").
std::string goErrno(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

Status ClientListener::bind(net::io_context& io, const Url& url, Router& router,
                            const ConnectionHandler* h2, uint64_t bodyLimit, bool sniff,
                            std::shared_ptr<boost::asio::ssl::context> tls,
                            std::shared_ptr<ClientListener>* out) {
  const bool secure = url.scheme == "https" || url.scheme == "unixs";
  if (secure && tls == nullptr) {
    return Status(StatusCode::InvalidArgument,
                  "TLS key/cert (--cert-file, --key-file) must be provided for client url " +
                      url.raw + " with HTTPS scheme");
  }
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string hostPort =
      (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  std::shared_ptr<ClientListener> listener(new ClientListener(io, router, h2, bodyLimit, sniff));
  if (secure) listener->tls_ = std::move(tls);
  boost::system::error_code ec;
  Protocol::endpoint endpoint;
  std::string network = "tcp";
  if (url.scheme == "unix" || url.scheme == "unixs") {
    // etcd listens on a unix URL's authority as a (relative) socket path.
    network = "unix";
    endpoint = net::local::stream_protocol::endpoint(hostPort);
  } else {
    net::ip::address address = net::ip::address_v6::any();
    if (!url.host.empty()) {
      address = net::ip::make_address(url.host, ec);
      if (ec) {
        net::ip::tcp::resolver resolver(io);
        auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
        if (ec || results.empty()) {
          return Status(StatusCode::Unavailable,
                        "listen tcp " + hostPort + ": lookup " + url.host + ": no such host");
        }
        address = results.begin()->endpoint().address();
      }
    }
    endpoint = net::ip::tcp::endpoint(address, url.port);
  }
  const std::string what = "listen " + network + " " + hostPort + ": ";
  Acceptor& acceptor = listener->acceptor_;
  if (acceptor.open(endpoint.protocol(), ec)) {
    return Status(StatusCode::Unavailable, what + "socket: " + goErrno(ec));
  }
  if (network == "tcp") {
    acceptor.set_option(Acceptor::reuse_address(true), ec);
    if (url.host.empty()) {
      // Go's ":2379" is every interface of both families.
      acceptor.set_option(net::ip::v6_only(false), ec);
    }
  }
  if (acceptor.bind(endpoint, ec))
    return Status(StatusCode::Unavailable, what + "bind: " + goErrno(ec));
  if (acceptor.listen(net::socket_base::max_listen_connections, ec)) {
    return Status(StatusCode::Unavailable, what + "listen: " + goErrno(ec));
  }
  if (network == "tcp") {
    const Protocol::endpoint local = acceptor.local_endpoint(ec);
    net::ip::tcp::endpoint tcpLocal;
    tcpLocal.resize(local.size());
    std::memcpy(tcpLocal.data(), local.data(), local.size());
    listener->boundAddress_ =
        hostPort.substr(0, hostPort.rfind(':') + 1) + std::to_string(tcpLocal.port());
  } else {
    listener->boundAddress_ = hostPort;
  }
  *out = std::move(listener);
  return Status::ok();
}

void ClientListener::accept() {
  acceptor_.async_accept(net::make_strand(io_), [self = shared_from_this()](
                                                    boost::system::error_code ec, Socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      // Go sets TCP_NODELAY on every TCP connection, and gRPC on the ones it
      // accepts itself (not on adopted ones); without it Nagle holds a small
      // write (a watch event) until the previous one is acknowledged. A unix
      // socket refuses the option, harmlessly.
      const int one = 1;
      (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (self->tls_) {
        TlsBridge::Check check;
        if (!self->crlFile_.empty()) {
          check = [self](SSL* ssl, const Socket& s) { return self->notRevoked(ssl, s); };
        }
        std::make_shared<TlsBridge>(std::move(socket), self->tls_)
            ->start([self](Socket plain) { self->serve(std::move(plain)); }, std::move(check));
      } else {
        self->serve(std::move(socket));
      }
    }
    // Accept errors (EMFILE, ...) are transient, as in Go's server loop.
    self->accept();
  });
}

void ClientListener::serve(Socket socket) {
  if (sniff_) {
    std::make_shared<ConnectionSniffer>(std::move(socket), router_, h2_, bodyLimit_)->start();
  } else {
    std::make_shared<HttpSession>(std::move(socket), router_, bodyLimit_)->start();
  }
}

void ClientListener::close() {
  net::post(io_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

}  // namespace cairn::apihttp

namespace cairn::apihttp {

// etcd's checkCRL on its client listeners, and its logTLSHandshakeFailure.
bool ClientListener::notRevoked(SSL* ssl, const Socket& socket) {
  const Status why = tls::checkRevoked(crlFile_, ssl);
  if (why) return true;
  std::string remote;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getpeername(const_cast<Socket&>(socket).native_handle(), reinterpret_cast<sockaddr*>(&addr),
                    &len) == 0 &&
      (addr.ss_family == AF_INET || addr.ss_family == AF_INET6) &&
      ::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    remote = addr.ss_family == AF_INET6 ? "[" + std::string(host) + "]:" + port
                                        : std::string(host) + ":" + port;
  }
  const char* serverName = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  logger_->warn("embed/config_logging.go", "rejected connection",
                jsonField("remote-addr", remote) + "," +
                    jsonField("server-name", serverName != nullptr ? serverName : "") + "," +
                    jsonField("error", why.message()));
  return false;
}

}  // namespace cairn::apihttp
