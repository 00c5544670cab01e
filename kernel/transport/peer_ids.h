// How the transport prints member ids in its log lines: lower-case hex
// without leading zeros, as etcd's types.ID does.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace cairn::transport {

inline std::string idHex(uint64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace cairn::transport
