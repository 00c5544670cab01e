#include "listen_url.h"

#include <algorithm>

namespace cairn::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status invalid(std::string message) {
  return Status(StatusCode::InvalidArgument, std::move(message));
}

// Splits "host:port" / "[v6]:port" the way Go's net.SplitHostPort accepts it.
bool splitHostPort(std::string_view hostPort, std::string_view& host, std::string_view& port) {
  if (!hostPort.empty() && hostPort.front() == '[') {
    const auto close = hostPort.find(']');
    if (close == std::string_view::npos || close + 1 >= hostPort.size() ||
        hostPort[close + 1] != ':') {
      return false;
    }
    host = hostPort.substr(1, close - 1);
    port = hostPort.substr(close + 2);
  } else {
    const auto colon = hostPort.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = hostPort.substr(0, colon);
    if (host.find(':') != std::string_view::npos) return false;  // unbracketed IPv6
    port = hostPort.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::stoi(std::string(port)) <= 65535;
}

Status parseOne(std::string_view url, ListenAddress& out) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return invalid("URL scheme must be http, https, unix, or unixs: " + std::string(url));
  }
  const std::string_view scheme = url.substr(0, sep);
  const std::string_view rest = url.substr(sep + 3);
  out.url = std::string(url);

  if (scheme == "https" || scheme == "unixs") {
    return Status(StatusCode::Unimplemented,
                  "cannot serve " + std::string(url) +
                      ": client TLS is not yet in effect in this Cairn build; use an http:// "
                      "or unix:// client URL");
  }
  if (scheme == "unix") {
    // etcd listens on host+path of a unix URL, i.e. everything after "//".
    if (rest.empty()) return invalid("unix URL has no socket path: " + std::string(url));
    out.network = "unix";
    out.address = std::string(rest);
    out.grpcTarget = "unix:" + out.address;
    return Status::ok();
  }
  if (scheme != "http") {
    return invalid("URL scheme must be http, https, unix, or unixs: " + std::string(url));
  }

  std::string_view hostPort = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    return invalid("URL must not contain a path: " + std::string(url));
  }
  std::string_view host;
  std::string_view port;
  if (!splitHostPort(hostPort, host, port)) {
    return invalid("URL address does not have the form \"host:port\": " + std::string(url));
  }
  out.network = "tcp";
  out.address = std::string(hostPort);
  if (host.empty()) {
    // Go's ":2379" means every interface, both families; gRPC spells that
    // "[::]" (a dual-stack socket).
    out.grpcTarget = "[::]:" + std::string(port);
  } else if (host.find(':') != std::string_view::npos) {
    out.grpcTarget = "[" + std::string(host) + "]:" + std::string(port);
  } else {
    out.grpcTarget = std::string(host) + ":" + std::string(port);
  }
  return Status::ok();
}

}  // namespace

Status parseListenUrls(std::string_view list, std::vector<ListenAddress>& out) {
  out.clear();
  while (true) {
    const auto comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) {
      ListenAddress address;
      if (Status status = parseOne(item, address); !status.isOk()) return status;
      const bool seen = std::any_of(out.begin(), out.end(), [&](const ListenAddress& a) {
        return a.network == address.network && a.address == address.address;
      });
      if (!seen) out.push_back(std::move(address));
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (out.empty()) return invalid("no client URLs to listen on (--listen-client-urls is empty)");
  return Status::ok();
}

}  // namespace cairn::api
