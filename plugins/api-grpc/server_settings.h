// ServerSettings: the gRPC server's limits and keepalive policy, derived from
// the member's etcd flags exactly as etcd derives them for its own server.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "cairn/host.h"
#include "cairn/status.h"
#include "listen_url.h"

namespace cairn::api {

// etcd adds this to --max-request-bytes for the gRPC receive limit, so a
// request just over the limit reaches the server and gets etcd's own
// "request is too large" error instead of a transport error.
inline constexpr int64_t kGrpcOverheadBytes = 512 * 1024;
inline constexpr int64_t kDefaultMaxRequestBytes = 1572864;          // 1.5 MiB
inline constexpr int64_t kDefaultMaxConcurrentStreams = 4294967295;  // math.MaxUint32
inline constexpr std::chrono::milliseconds kDefaultKeepaliveMinTime{5'000};
inline constexpr std::chrono::milliseconds kDefaultKeepaliveInterval{7'200'000};
inline constexpr std::chrono::milliseconds kDefaultKeepaliveTimeout{20'000};

struct ServerSettings {
  std::vector<ListenAddress> listen;
  int maxReceiveMessageBytes = 0;  // max-request-bytes + kGrpcOverheadBytes, capped to INT_MAX
  // gRPC's own receive limit, above maxReceiveMessageBytes: requests between
  // the two are refused by KvGrpcService with grpc-go's wording (which etcd
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
};

// Reads listen-client-urls, max-request-bytes, max-concurrent-streams and
// grpc-keepalive-{min-time,interval,timeout}; an absent flag takes etcd's
// default. A malformed value is an InvalidArgument naming the flag.
Status serverSettingsFromHost(const Host& host, ServerSettings& out);

}  // namespace cairn::api
