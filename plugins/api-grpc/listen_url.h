// ListenAddress: one client URL (parsed and validated by the kernel, read
// with Settings::urls) in the two shapes the plugin needs: what Go's
// net.Listen would be given (for etcd-style error messages) and what
// grpc::ServerBuilder::AddListeningPort takes.
#pragma once

#include <string>

#include "cairn/settings.h"
#include "cairn/status.h"

namespace cairn::api {

struct ListenAddress {
  std::string url;         // the URL as the kernel normalised it, for messages
  std::string network;     // "tcp" or "unix"
  std::string address;     // "host:port" (tcp) or the socket path (unix)
  std::string grpcTarget;  // e.g. "127.0.0.1:2379", "[::]:2379", "unix:localhost:2379"
  bool secure = false;     // https or unixs: TLS, which api-http terminates
};

// The address of an http, https, unix or unixs URL. TLS is terminated by the
// api-http plugin (one port for gRPC and HTTP, as etcd); api-grpc binding a
// secure URL itself refuses it (see GrpcServer) rather than serve it in
// plain text.
Status listenAddressFor(const Url& url, ListenAddress* out);

}  // namespace cairn::api
