#pragma once

#include <string>

namespace cairn::bench {

// True when `endpoint` is host:port with a loopback host (127.0.0.0/8,
// [::1] or localhost). The tool generates heavy load and must never be
// pointed at another machine by accident; `reason` explains a refusal.
bool isLoopbackEndpoint(const std::string& endpoint, std::string* reason);

}  // namespace cairn::bench
