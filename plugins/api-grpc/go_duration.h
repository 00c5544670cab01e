// parseGoDuration: reads a duration in Go's time.Duration text form ("5s",
// "2h0m0s", "1.5m", "300ms"), the form etcd prints and accepts for flags such
// as --grpc-keepalive-interval. Hand-written because no allowed dependency
// parses Go durations.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace cairn::api {

// nullopt when `text` is not a valid Go duration or overflows.
std::optional<std::chrono::nanoseconds> parseGoDuration(std::string_view text);

}  // namespace cairn::api
