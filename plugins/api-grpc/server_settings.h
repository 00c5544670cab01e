// ServerSettings: the gRPC server's limits and keepalive policy, derived from
// the member's etcd flags exactly as etcd derives them for its own server.
// Every value and default comes from the kernel (Host::settings()); only
// etcd's fixed transport constants live here.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "cairn/settings.h"
#include "cairn/status.h"
#include "listen_url.h"

namespace cairn::api {

// etcd adds this to --max-request-bytes for the gRPC receive limit, so a
// request just over the limit reaches the server and gets etcd's own
// "request is too large" error instead of a transport error.
inline constexpr int64_t kGrpcOverheadBytes = 512 * 1024;

struct ServerSettings {
  std::vector<ListenAddress> listen;
  int maxReceiveMessageBytes = 0;  // max-request-bytes + kGrpcOverheadBytes, capped to INT_MAX
  // gRPC's own receive limit, above maxReceiveMessageBytes: requests between
  // the two are refused by the services with grpc-go's wording (which etcd
  // clients see), since C++ gRPC words the same error differently. Beyond
  // this hard limit gRPC refuses the message itself, unread.
  int transportReceiveLimitBytes = 0;
  int maxSendMessageBytes = 0;   // INT_MAX, as etcd
  int maxConcurrentStreams = 0;  // capped to INT_MAX (gRPC's channel args are int)
  // Zero disables the setting, as in etcd: a zero min time keeps gRPC's own
  // ping policy, a zero interval or timeout keeps gRPC's server keepalive.
  std::chrono::milliseconds keepaliveMinTime{0};
  std::chrono::milliseconds keepaliveInterval{0};
  std::chrono::milliseconds keepaliveTimeout{0};
  // --grpc-transport=cairn: connections handed over by the listeners' owner
  // are served by api-grpc's own HTTP/2 transport (h2_grpc_server.h), not by
  // gRPC C++.
  bool ownTransport = true;
};

// Reads listen-client-urls, max-request-bytes, max-concurrent-streams and
// grpc-keepalive-{min-time,interval,timeout} and grpc-transport with the kernel's typed reads
// (their defaults are the kernel's). A read error is returned as the kernel
// words it; a TLS client URL is refused (see listenAddressFor).
Status serverSettingsFrom(const Settings& settings, ServerSettings& out);

}  // namespace cairn::api
