#include "lease/min_lease_ttl.h"

namespace cairn::lease {

int64_t minLeaseTtl(int64_t electionTimeoutMs, int64_t heartbeatMs) {
  if (heartbeatMs <= 0 || electionTimeoutMs <= 0) return 0;
  const int64_t electionTicks = electionTimeoutMs / heartbeatMs;
  const int64_t minTtlMs = ((3 * electionTicks) / 2) * heartbeatMs;
  // Ceiling of a non-negative millisecond count in whole seconds.
  return (minTtlMs + 999) / 1000;
}

}  // namespace cairn::lease
