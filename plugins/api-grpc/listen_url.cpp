#include "listen_url.h"

namespace cairn::api {

Status listenAddressFor(const Url& url, ListenAddress* out) {
  out->url = url.raw;
  out->secure = url.scheme == "https" || url.scheme == "unixs";
  const std::string port = std::to_string(url.port);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  const std::string hostPort = (ipv6 ? "[" + url.host + "]" : url.host) + ":" + port;
  if (url.scheme == "unix" || url.scheme == "unixs") {
    // etcd listens on a unix URL's authority as a (relative) socket path:
    // unix://localhost:2379 is the socket file "localhost:2379".
    out->network = "unix";
    out->address = hostPort;
    out->grpcTarget = "unix:" + out->address;
    return Status::ok();
  }
  if (url.scheme != "http" && url.scheme != "https") {
    return Status(StatusCode::InvalidArgument,
                  "URL scheme must be http, https, unix, or unixs: " + url.raw);
  }
  out->network = "tcp";
  out->address = hostPort;
  // Go's ":2379" means every interface, both families; gRPC spells that
  // "[::]" (a dual-stack socket).
  out->grpcTarget = url.host.empty() ? "[::]:" + port : hostPort;
  return Status::ok();
}

}  // namespace cairn::api
