#include "latency_summary.h"

#include <algorithm>
#include <cmath>

namespace cairn::bench {

namespace {

double rankMs(const std::vector<std::uint32_t>& sorted, double percent) {
  auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * sorted.size()));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1] / 1000.0;
}

}  // namespace

LatencySummary LatencySummary::fromMicros(std::vector<std::uint32_t>& micros) {
  LatencySummary s;
  if (micros.empty()) return s;
  std::sort(micros.begin(), micros.end());
  s.p50Ms = rankMs(micros, 50);
  s.p90Ms = rankMs(micros, 90);
  s.p99Ms = rankMs(micros, 99);
  s.maxMs = micros.back() / 1000.0;
  double sum = 0;
  for (auto m : micros) sum += m;
  s.meanMs = sum / micros.size() / 1000.0;
  return s;
}

}  // namespace cairn::bench
