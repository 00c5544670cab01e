// PeerSocket: one peer connection, plain TCP (http:// peer URLs) or TLS
// over TCP (https://), behind the stream interface Boost.Asio's composed
// operations (async_read, async_write) take, so the hello, the frames and
// the cluster query are written once for both.
//
// A TLS socket is handshaken (handshake()) before anything else; a plain
// one completes its handshake at once. close() closes the TCP connection:
// peer connections end with their socket, no TLS close_notify is awaited.
//
// Threads: whichever thread runs its io_context; not thread-safe. Pending
// operations must keep the socket alive (their handlers hold a shared_ptr
// to it or to its owner) until they complete.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>
#include <utility>

namespace cairn::transport {

class PeerSocket {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;
  using executor_type = Tcp::executor_type;

  // Plain TCP.
  explicit PeerSocket(Tcp socket) : plain_(std::move(socket)) {}
  // TLS with `context` over `socket` (the context must outlive the socket).
  PeerSocket(Tcp socket, boost::asio::ssl::context& context)
      : plain_(socket.get_executor()), tls_(std::make_unique<Tls>(std::move(socket), context)) {}

  bool secure() const { return tls_ != nullptr; }
  // The TLS stream (null when plain): SNI, verification, the peer's certificate.
  Tls* tls() { return tls_.get(); }
  // The TCP connection under it: connect, socket options, addresses.
  Tcp& tcp() { return tls_ ? tls_->next_layer() : plain_; }
  executor_type get_executor() { return tcp().get_executor(); }

  template <class Handler>
  void handshake(boost::asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(type, std::forward<Handler>(handler));
    } else {
      boost::asio::post(plain_.get_executor(), [h = std::forward<Handler>(handler)]() mutable {
        h(boost::system::error_code());
      });
    }
  }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      plain_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

  void close() {
    boost::system::error_code ignored;
    tcp().close(ignored);
  }

 private:
  Tcp plain_;                 // the connection when plain; unused with TLS
  std::unique_ptr<Tls> tls_;  // the connection when TLS
};

}  // namespace cairn::transport
