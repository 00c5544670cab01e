#include "tls_bridge.h"

#include <sys/socket.h>

#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

namespace cairn::apihttp {

TlsBridge::TlsBridge(Socket socket, std::shared_ptr<boost::asio::ssl::context> context)
    : context_(std::move(context)),
      tls_(std::move(socket), *context_),
      inner_(tls_.get_executor()),
      timer_(tls_.get_executor()) {}

void TlsBridge::start(OnPlain onPlain, Check check) {
  timer_.expires_after(kHandshakeTimeout);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->closeAll();  // no handshake in time
  });
  tls_.async_handshake(
      boost::asio::ssl::stream_base::server,
      [self = shared_from_this(), onPlain = std::move(onPlain),
       check = std::move(check)](boost::system::error_code ec) {
        self->timer_.cancel();
        if (ec || self->closed_ ||
            (check && !check(self->tls_.native_handle(), self->tls_.next_layer()))) {
          self->closeAll();
          return;
        }
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
          self->closeAll();
          return;
        }
        boost::system::error_code assignEc;
        self->inner_.assign(Protocol(AF_UNIX, SOCK_STREAM), fds[0], assignEc);
        auto& io = static_cast<net::io_context&>(self->tls_.get_executor().context());
        Socket plain(net::make_strand(io));
        plain.assign(Protocol(AF_UNIX, SOCK_STREAM), fds[1], assignEc);
        self->relayFromClient();
        self->relayToClient();
        onPlain(std::move(plain));
      });
}

void TlsBridge::relayFromClient() {
  tls_.async_read_some(net::buffer(fromClient_),
                       [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                         if (ec) {
                           // The client is done (or gone): the plaintext side sees end of file.
                           boost::system::error_code ignored;
                           self->inner_.shutdown(Socket::shutdown_send, ignored);
                           if (ec != net::error::eof && ec != net::ssl::error::stream_truncated)
                             self->closeAll();
                           return;
                         }
                         net::async_write(self->inner_, net::buffer(self->fromClient_.data(), n),
                                          [self](boost::system::error_code wec, size_t) {
                                            if (wec) {
                                              self->closeAll();
                                              return;
                                            }
                                            self->relayFromClient();
                                          });
                       });
}

void TlsBridge::relayToClient() {
  inner_.async_read_some(net::buffer(toClient_),
                         [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                           if (ec) {
                             // The server side closed the connection. Closing the TCP connection
                             // without waiting for the client's close_notify: what was written is
                             // already in the kernel's send buffer, and a client that never
                             // answers must not hold the connection open.
                             self->closeAll();
                             return;
                           }
                           net::async_write(self->tls_, net::buffer(self->toClient_.data(), n),
                                            [self](boost::system::error_code wec, size_t) {
                                              if (wec) {
                                                self->closeAll();
                                                return;
                                              }
                                              self->relayToClient();
                                            });
                         });
}

void TlsBridge::closeAll() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  timer_.cancel();
  tls_.lowest_layer().close(ignored);
  inner_.close(ignored);
}

}  // namespace cairn::apihttp
