#pragma once

#include <cstdint>
#include <vector>

namespace cairn::bench {

// Percentiles over every successful request of a phase, in milliseconds.
// Exact (all samples kept and sorted), nearest-rank definition.
struct LatencySummary {
  double p50Ms = 0;
  double p90Ms = 0;
  double p99Ms = 0;
  double maxMs = 0;
  double meanMs = 0;

  // Sorts `micros` in place.
  static LatencySummary fromMicros(std::vector<std::uint32_t>& micros);
};

}  // namespace cairn::bench
