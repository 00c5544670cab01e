#include "tcp_hash_kv_peers.h"

#include "config/url.h"

namespace cairn::server {

Status TcpHashKvPeers::hashKv(const std::string& endpoint, int64_t revision,
                              transport::HashKvAnswer* out) {
  Url url;
  if (std::string err = config::parseUrl(endpoint, &url); !err.empty()) {
    return Status(StatusCode::InvalidArgument, err);
  }
  return transport::queryHashKv(url, tls_, timeout_, clusterId_, revision, out);
}

}  // namespace cairn::server
