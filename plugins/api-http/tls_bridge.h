// TlsBridge: terminates TLS on one accepted client connection and relays its
// plaintext through a socketpair, whose other end is handed on as if it had
// been accepted in the clear: the sniffer then tells gRPC from HTTP/1.x and
// gives gRPC its end to adopt, exactly as on an http:// URL.
//
// Why a relay rather than TLS inside each protocol: gRPC can adopt only a
// plaintext descriptor (grpc_server_add_channel_from_fd), and etcd serves
// gRPC and HTTP on one TLS port. The relay costs a copy through the kernel
// per message, paid only on https URLs.
//
// A client that does not finish its handshake within kHandshakeTimeout is
// dropped. Either side closing closes both; each direction holds one buffer,
// and reads wait for the previous write (a slow reader slows its writer).
#pragma once

#include <array>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "asio_types.h"

namespace cairn::apihttp {

class TlsBridge : public std::enable_shared_from_this<TlsBridge> {
 public:
  static constexpr std::chrono::seconds kHandshakeTimeout{10};
  using OnPlain = std::function<void(Socket plain)>;
  // After the handshake: false refuses the client (its connection closes).
  using Check = std::function<bool(SSL* ssl, const Socket& socket)>;

  // `context` is kept while the connection lives: its certificate callback
  // (the key pair's reloader, which it owns) runs during the handshake.
  TlsBridge(Socket socket, std::shared_ptr<boost::asio::ssl::context> context);

  // Handshakes, then, unless `check` (when given) refuses the client, calls
  // onPlain (on this connection's strand) with the plaintext end.
  void start(OnPlain onPlain, Check check = nullptr);

 private:
  void relayFromClient();
  void relayToClient();
  void closeAll();

  const std::shared_ptr<boost::asio::ssl::context> context_;
  // All below: on the accepted socket's strand only.
  boost::asio::ssl::stream<Socket> tls_;
  Socket inner_;  // our end of the socketpair
  boost::asio::steady_timer timer_;
  std::array<char, 16 * 1024> fromClient_{};
  std::array<char, 16 * 1024> toClient_{};
  bool closed_ = false;
};

}  // namespace cairn::apihttp
