// ClientListener: one bound client or metrics URL (TCP or unix socket),
// accepting on the server's io_context and handing each connection to a
// ConnectionSniffer (client URLs) or straight to an HttpSession (metrics
// URLs, which serve HTTP/1.x only, as etcd's).
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "asio_types.h"
#include "cairn/connection.h"
#include "cairn/logger.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "router.h"

namespace cairn::apihttp {

class ClientListener : public std::enable_shared_from_this<ClientListener> {
 public:
  // Binds `url` (SO_REUSEADDR, as Go; no SO_REUSEPORT) and listens. Fails
  // with Go's net.Listen wording ("listen tcp 127.0.0.1:2379: bind: address
  // already in use"). An https/unixs URL needs `tls` (etcd's error if null):
  // its connections are then served through a TlsBridge.
  static Status bind(net::io_context& io, const Url& url, Router& router,
                     const ConnectionHandler* h2, uint64_t bodyLimit, bool sniff,
                     std::shared_ptr<boost::asio::ssl::context> tls,
                     std::shared_ptr<ClientListener>* out);
  bool secure() const { return tls_ != nullptr; }
  // --client-crl-file: a client presenting a certificate the CRL revokes
  // is refused after the handshake and logged as etcd logs it ("rejected
  // connection"). Before start().
  void refuseRevoked(std::string crlFile, Logger& logger) {
    crlFile_ = std::move(crlFile);
    logger_ = &logger;
  }

  // Starts accepting; runs until close().
  void start() { accept(); }
  // Stops accepting (posted to the io_context: any thread).
  void close();
  // "host:port" with the bound port, or the socket path.
  const std::string& boundAddress() const { return boundAddress_; }

 private:
  ClientListener(net::io_context& io, Router& router, const ConnectionHandler* h2,
                 uint64_t bodyLimit, bool sniff)
      : io_(io), acceptor_(io), router_(router), h2_(h2), bodyLimit_(bodyLimit), sniff_(sniff) {}
  void accept();
  bool notRevoked(SSL* ssl, const Socket& socket);
  // Serves an accepted (or TLS-terminated) connection.
  void serve(Socket socket);

  net::io_context& io_;
  Acceptor acceptor_;  // used on the io_context's threads once started
  Router& router_;
  const ConnectionHandler* const h2_;
  const uint64_t bodyLimit_;
  const bool sniff_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // set by bind(), read-only after
  std::string boundAddress_;                        // set by bind(), read-only after
  std::string crlFile_;                             // set before start(), read-only after
  Logger* logger_ = nullptr;                        // set with crlFile_
};

}  // namespace cairn::apihttp
