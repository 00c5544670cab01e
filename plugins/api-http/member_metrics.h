// MemberMetrics: the process collector's /metrics figures under the names
// Prometheus' Go client gives them (process_resident_memory_bytes,
// process_open_fds, process_cpu_seconds_total, ...), read from /proc when
// scraped. The member's own figures (leadership, proposals, WAL fsyncs) are
// registered by the kernel in the same registry.
#pragma once

#include <cstdint>
#include <memory>

#include "cairn/host.h"

namespace cairn::apihttp {

class MemberMetrics {
 public:
  // Registers the families in host.metrics(). The gauge functions stay in
  // the registry, which outlives this object, so they read only /proc,
  // never `this`.
  explicit MemberMetrics(Host& host);
};

}  // namespace cairn::apihttp
