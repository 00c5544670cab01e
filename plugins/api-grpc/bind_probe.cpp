#include "bind_probe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::api {
namespace {

// Go prints syscall errors in lower case ("address already in use").
std::string goErrno(int err) {
  std::string text = std::strerror(err);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] + 32);
  return text;
}

std::string numericAddress(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) !=
      0) {
    return {};
  }
  if (sa->sa_family == AF_INET6) return "[" + std::string(host) + "]:" + port;
  return std::string(host) + ":" + port;
}

// Closes a probe socket on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::optional<std::string> probeTcp(const ListenAddress& address) {
  std::string host = address.address.substr(0, address.address.rfind(':'));
  const std::string port = address.address.substr(address.address.rfind(':') + 1);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* results = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &results);
      rc != 0) {
    return "listen tcp " + address.address + ": lookup " + host + ": " + gai_strerror(rc);
  }
  std::optional<std::string> failure;
  for (addrinfo* ai = results; ai != nullptr && !failure; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      // A family the host does not support (no IPv6) is not why gRPC failed.
      if (errno == EAFNOSUPPORT) continue;
      failure = "listen tcp " + address.address + ": socket: " + goErrno(errno);
      break;
    }
    // gRPC and Go both set SO_REUSEADDR, so a port in TIME_WAIT is no failure.
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      const int err = errno;
      failure =
          "listen tcp " + numericAddress(ai->ai_addr, ai->ai_addrlen) + ": bind: " + goErrno(err);
    } else if (::listen(fd.get(), 1) != 0) {
      const int err = errno;
      failure =
          "listen tcp " + numericAddress(ai->ai_addr, ai->ai_addrlen) + ": listen: " + goErrno(err);
    }
  }
  freeaddrinfo(results);
  return failure;
}

std::optional<std::string> probeUnix(const ListenAddress& address) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (address.address.size() >= sizeof sa.sun_path) {
    return "listen unix " + address.address + ": bind: invalid argument";
  }
  std::memcpy(sa.sun_path, address.address.data(), address.address.size());
  // gRPC replaces an existing socket file at the path, so only probe when the
  // path is free; otherwise the probe itself would fail for the wrong reason.
  struct stat st {};
  if (::lstat(address.address.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return std::nullopt;
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return "listen unix " + address.address + ": socket: " + goErrno(errno);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    return "listen unix " + address.address + ": bind: " + goErrno(errno);
  }
  ::unlink(address.address.c_str());  // the probe created it; leave the path as it was
  return std::nullopt;
}

}  // namespace

std::optional<std::string> describeBindFailure(const ListenAddress& address) {
  return address.network == "unix" ? probeUnix(address) : probeTcp(address);
}

}  // namespace cairn::api
