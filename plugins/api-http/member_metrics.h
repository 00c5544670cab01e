// MemberMetrics: the /metrics figures this plugin can produce alone through
// the Host, under etcd's names: leadership (etcd_server_has_leader,
// etcd_server_leader_changes_seen_total) and the process collector's
// (process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total,
// ...), read from /proc when scraped. Kernel-side figures (proposals, disk)
// are the kernel's to register.
#pragma once

#include <cstdint>
#include <memory>

#include "cairn/host.h"

namespace cairn::apihttp {

class MemberMetrics {
 public:
  // Registers the families in host.metrics() and follows leadership until
  // destroyed. The gauge functions registered stay in the registry, which
  // outlives this object, so they read only the Host, never `this`.
  explicit MemberMetrics(Host& host);

 private:
  // Written only on the kernel's raft loop (the leadership callback).
  uint64_t lastLeader_ = 0;
  std::unique_ptr<Subscription> leadership_;
};

}  // namespace cairn::apihttp
