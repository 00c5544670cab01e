#include "snapshot_channel.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

namespace cairn::transport {
namespace {

std::string errnoText(int e) {
  return e == EAGAIN || e == EWOULDBLOCK ? "i/o timeout" : std::strerror(e);
}

}  // namespace

Status SnapshotChannel::adopt(PeerSocket& socket, std::unique_ptr<SnapshotChannel>* out) {
  SSL* ssl = nullptr;
  if (socket.secure()) {
    ssl = socket.tls()->native_handle();
    // Asio moves TLS records between the descriptor and OpenSSL through a
    // BIO pair; bytes still in it would be lost to the descriptor. The
    // snapshot protocol leaves none (each side waits for the other's
    // answer), so any is a broken or hostile peer.
    if (SSL_has_pending(ssl) || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0 ||
        BIO_ctrl_wpending(SSL_get_wbio(ssl)) > 0) {
      socket.close();
      return Status(StatusCode::Internal, "TLS data buffered ahead of the snapshot stream");
    }
  }
  boost::system::error_code ec;
  socket.tcp().native_non_blocking(false, ec);
  if (ec) {
    socket.close();
    return Status(StatusCode::Unavailable, ec.message());
  }
  const int fd = socket.tcp().release(ec);
  if (ec) {
    socket.close();
    return Status(StatusCode::Unavailable, ec.message());
  }
  if (ssl != nullptr) {
    // The session goes on over the descriptor; Asio's stream keeps its own
    // reference until it is destroyed, and does nothing more with it.
    SSL_up_ref(ssl);
    if (SSL_set_fd(ssl, fd) != 1) {
      SSL_free(ssl);
      ::close(fd);
      return Status(StatusCode::Internal, "cannot attach the TLS session to its connection");
    }
    SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);  // session tickets are read past, not returned
  }
  out->reset(new SnapshotChannel(fd, ssl));
  return Status::ok();
}

SnapshotChannel::~SnapshotChannel() {
  // No close_notify: peer connections end with their socket (PeerSocket).
  if (ssl_ != nullptr) SSL_free(ssl_);
  ::close(fd_);
}

void SnapshotChannel::setTimeouts(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void SnapshotChannel::shutdown() {
  ::shutdown(fd_, SHUT_RDWR);
}

Status SnapshotChannel::tlsError(const char* what, int ret) {
  const int e = errno;
  const int error = SSL_get_error(ssl_, ret);
  std::string why;
  switch (error) {
    case SSL_ERROR_ZERO_RETURN:
      why = "unexpected EOF";
      break;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      why = "i/o timeout";  // the descriptor's timeout (EAGAIN) ended the wait
      break;
    case SSL_ERROR_SYSCALL:
      why = e == 0 ? "unexpected EOF" : errnoText(e);
      break;
    default: {
      const char* reason = ERR_reason_error_string(ERR_peek_last_error());
      why = reason != nullptr ? reason : "TLS error";
    }
  }
  ERR_clear_error();
  return Status(StatusCode::Unavailable, std::string(what) + ": " + why);
}

Status SnapshotChannel::writeAll(std::string_view data) {
  while (!data.empty()) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(StatusCode::Unavailable, "write: " + errnoText(errno));
      }
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    ERR_clear_error();
    errno = 0;
    const int n =
        SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
    if (n <= 0) return tlsError("write", n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status SnapshotChannel::readExact(char* out, std::size_t size) {
  while (size > 0) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::recv(fd_, out, size, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(StatusCode::Unavailable, "read: " + errnoText(errno));
      }
      if (n == 0) return Status(StatusCode::Unavailable, "read: unexpected EOF");
      out += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl_, out, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
    if (n <= 0) return tlsError("read", n);
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::ok();
}

}  // namespace cairn::transport
