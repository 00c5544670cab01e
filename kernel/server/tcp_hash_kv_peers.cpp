#include "tcp_hash_kv_peers.h"

#include "config/url.h"

namespace cairn::server {

Status TcpHashKvPeers::hashKv(const std::string& endpoint, int64_t revision,
                              transport::HashKvAnswer* out) {
  Url url;
  if (Status s = config::parseUrl(endpoint, &url); !s) return s;
  return transport::queryHashKv(url, tls_, timeout_, clusterId_, revision, out);
}

}  // namespace cairn::server
