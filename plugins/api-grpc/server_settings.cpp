#include "server_settings.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string>

namespace cairn::api {
namespace {

int capToInt(uint64_t value) {
  return value > static_cast<uint64_t>(INT_MAX) ? INT_MAX : static_cast<int>(value);
}

// gRPC takes keepalive settings as int milliseconds. A negative duration
// (Go accepts "-1s") disables the setting, as etcd's zero does.
Status readMillis(const Settings& settings, std::string_view flag, std::chrono::milliseconds& out) {
  std::chrono::nanoseconds value{0};
  if (Status s = settings.duration(flag, &value); !s.isOk()) return s;
  const int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(value).count();
  out = std::chrono::milliseconds(millis <= 0 ? 0 : capToInt(static_cast<uint64_t>(millis)));
  return Status::ok();
}

}  // namespace

Status serverSettingsFrom(const Settings& settings, ServerSettings& out) {
  std::vector<Url> urls;
  if (Status s = settings.urls("listen-client-urls", &urls); !s.isOk()) return s;
  out.listen.clear();
  for (const Url& url : urls) {
    ListenAddress address;
    if (Status s = listenAddressFor(url, &address); !s.isOk()) return s;
    out.listen.push_back(std::move(address));
  }
  if (out.listen.empty()) {
    return Status(StatusCode::InvalidArgument,
                  "no client URLs to listen on (--listen-client-urls is empty)");
  }

  uint64_t maxRequestBytes = 0;
  if (Status s = settings.uint64("max-request-bytes", &maxRequestBytes); !s.isOk()) return s;
  out.maxReceiveMessageBytes = capToInt(std::min<uint64_t>(maxRequestBytes, INT_MAX) +
                                        static_cast<uint64_t>(kGrpcOverheadBytes));
  out.transportReceiveLimitBytes = capToInt(2 * static_cast<uint64_t>(out.maxReceiveMessageBytes) +
                                            static_cast<uint64_t>(kGrpcOverheadBytes));
  out.maxSendMessageBytes = INT_MAX;

  uint64_t streams = 0;
  if (Status s = settings.uint64("max-concurrent-streams", &streams); !s.isOk()) return s;
  out.maxConcurrentStreams = capToInt(streams);

  if (Status s = readMillis(settings, "grpc-keepalive-min-time", out.keepaliveMinTime); !s.isOk()) {
    return s;
  }
  if (Status s = readMillis(settings, "grpc-keepalive-interval", out.keepaliveInterval);
      !s.isOk()) {
    return s;
  }
  if (Status s = readMillis(settings, "grpc-keepalive-timeout", out.keepaliveTimeout); !s.isOk()) {
    return s;
  }
  const std::optional<std::string> transport = settings.raw("grpc-transport");
  out.ownTransport = !transport || *transport != "grpcpp";
  return Status::ok();
}

}  // namespace cairn::api
