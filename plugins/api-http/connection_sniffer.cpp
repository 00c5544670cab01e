#include "connection_sniffer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "http_session.h"
#include "protocol_sniff.h"

namespace cairn::apihttp {

void ConnectionSniffer::waitReadable() {
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // closed (server stopping): the socket closes with us
    self->peek();
  });
}

void ConnectionSniffer::peek() {
  char buf[kHttp2Preface.size()];
  const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return;  // the client closed before sending anything
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) waitReadable();
    return;
  }
  switch (sniffProtocol(std::string_view(buf, static_cast<std::size_t>(n)))) {
    case SniffResult::Http1:
      std::make_shared<HttpSession>(std::move(socket_), router_, bodyLimit_)->start();
      return;
    case SniffResult::Http2: {
      boost::system::error_code ec;
      const int fd = socket_.release(ec);
      if (ec) return;
      if (h2_ != nullptr) {
        (*h2_)(fd);
      } else {
        ::close(fd);
      }
      return;
    }
    case SniffResult::NeedMore:
      if (std::chrono::steady_clock::now() >= deadline_) return;
      timer_.expires_after(kRepeekDelay);
      timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->peek();
      });
      return;
  }
}

}  // namespace cairn::apihttp
