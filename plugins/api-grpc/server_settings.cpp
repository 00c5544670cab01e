#include "server_settings.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <string>

#include "go_duration.h"

namespace cairn::api {
namespace {

int capToInt(int64_t value) {
  return value > INT_MAX ? INT_MAX : static_cast<int>(value);
}

Status readUnsigned(const Host& host, std::string_view name, int64_t fallback, int64_t& out) {
  const std::optional<std::string> text = host.flag(name);
  if (!text || text->empty()) {
    out = fallback;
    return Status::ok();
  }
  uint64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || value > static_cast<uint64_t>(INT64_MAX)) {
    return Status(StatusCode::InvalidArgument, "invalid value \"" + *text + "\" for flag -" +
                                                   std::string(name) +
                                                   ": expected an unsigned integer");
  }
  out = static_cast<int64_t>(value);
  return Status::ok();
}

Status readDuration(const Host& host, std::string_view name, std::chrono::milliseconds fallback,
                    std::chrono::milliseconds& out) {
  const std::optional<std::string> text = host.flag(name);
  if (!text || text->empty()) {
    out = fallback;
    return Status::ok();
  }
  const std::optional<std::chrono::nanoseconds> value = parseGoDuration(*text);
  if (!value || value->count() < 0) {
    return Status(StatusCode::InvalidArgument, "invalid value \"" + *text + "\" for flag -" +
                                                   std::string(name) + ": invalid duration");
  }
  // gRPC takes keepalive settings as int milliseconds.
  const int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(*value).count();
  out = std::chrono::milliseconds(capToInt(millis));
  return Status::ok();
}

}  // namespace

Status serverSettingsFromHost(const Host& host, ServerSettings& out) {
  const std::optional<std::string> urls = host.flag("listen-client-urls");
  if (Status s = parseListenUrls(urls.value_or("http://localhost:2379"), out.listen); !s.isOk()) {
    return s;
  }

  int64_t maxRequestBytes = 0;
  if (Status s = readUnsigned(host, "max-request-bytes", kDefaultMaxRequestBytes, maxRequestBytes);
      !s.isOk()) {
    return s;
  }
  out.maxReceiveMessageBytes =
      capToInt(std::min<int64_t>(maxRequestBytes, INT_MAX) + kGrpcOverheadBytes);
  out.transportReceiveLimitBytes =
      capToInt(2 * static_cast<int64_t>(out.maxReceiveMessageBytes) + kGrpcOverheadBytes);
  out.maxSendMessageBytes = INT_MAX;

  int64_t streams = 0;
  if (Status s =
          readUnsigned(host, "max-concurrent-streams", kDefaultMaxConcurrentStreams, streams);
      !s.isOk()) {
    return s;
  }
  out.maxConcurrentStreams = capToInt(streams);

  if (Status s = readDuration(host, "grpc-keepalive-min-time", kDefaultKeepaliveMinTime,
                              out.keepaliveMinTime);
      !s.isOk()) {
    return s;
  }
  if (Status s = readDuration(host, "grpc-keepalive-interval", kDefaultKeepaliveInterval,
                              out.keepaliveInterval);
      !s.isOk()) {
    return s;
  }
  return readDuration(host, "grpc-keepalive-timeout", kDefaultKeepaliveTimeout,
                      out.keepaliveTimeout);
}

}  // namespace cairn::api
