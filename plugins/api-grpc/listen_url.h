// ListenAddress: one entry of --listen-client-urls, in the two shapes the
// plugin needs: what Go's net.Listen would be given (for etcd-style error
// messages) and what grpc::ServerBuilder::AddListeningPort takes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn::api {

struct ListenAddress {
  std::string url;         // as the user wrote it, for messages
  std::string network;     // "tcp" or "unix"
  std::string address;     // "host:port" (tcp) or the socket path (unix)
  std::string grpcTarget;  // e.g. "127.0.0.1:2379", "[::]:2379", "unix:/run/etcd.sock"
};

// Parses a comma-separated list of client URLs. Schemes follow etcd:
// http and unix are served; https and unixs need TLS, which this build does
// not serve yet, so they are refused with an explicit error rather than
// silently served in plain text. Addresses listed twice are served once, as
// etcd does.
Status parseListenUrls(std::string_view list, std::vector<ListenAddress>& out);

}  // namespace cairn::api
