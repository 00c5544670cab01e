#include "loopback_endpoint.h"

#include <arpa/inet.h>

#include <charconv>

namespace cairn::bench {

bool isLoopbackEndpoint(const std::string& endpoint, std::string* reason) {
  std::string host;
  std::string port;
  if (!endpoint.empty() && endpoint.front() == '[') {
    auto close = endpoint.find(']');
    if (close == std::string::npos || close + 1 >= endpoint.size() || endpoint[close + 1] != ':') {
      *reason = "--endpoint '" + endpoint + "' is not [ipv6]:port";
      return false;
    }
    host = endpoint.substr(1, close - 1);
    port = endpoint.substr(close + 2);
  } else {
    auto colon = endpoint.rfind(':');
    if (colon == std::string::npos || endpoint.find("://") != std::string::npos) {
      *reason = "--endpoint '" + endpoint + "' is not host:port (no scheme)";
      return false;
    }
    host = endpoint.substr(0, colon);
    port = endpoint.substr(colon + 1);
  }
  int portNumber = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), portNumber);
  if (ec != std::errc() || end != port.data() + port.size() || portNumber < 1 ||
      portNumber > 65535) {
    *reason = "--endpoint '" + endpoint + "' has no valid port";
    return false;
  }
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) == 127) return true;
  } else {
    in6_addr v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  }
  *reason =
      "--endpoint '" + endpoint + "' is not a loopback address; cairn-bench only loads 127.0.0.1";
  return false;
}

}  // namespace cairn::bench
