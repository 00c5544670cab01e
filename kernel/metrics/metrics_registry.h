// MetricsRegistry: the kernel's implementation of the SDK's Metrics.
//
// Families are keyed by name; each holds its series keyed by label values.
// Registration takes the registry mutex (it happens at start-up or on the
// first use of a label set); updates go to the series' atomics without a
// lock, so a counter on a hot path costs one atomic add. render() takes the
// mutex to walk the families and reads the atomics.
//
// Written by hand because no Prometheus client library is among Cairn's
// fixed dependencies; the text format is small and documented.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/metrics.h"

namespace cairn::metrics {

class MetricsRegistry final : public Metrics {
 public:
  MetricsRegistry();
  ~MetricsRegistry() override;

  Counter* counter(const std::string& name, const std::string& help,
                   const MetricLabels& labels = {}) override;
  Gauge* gauge(const std::string& name, const std::string& help,
               const MetricLabels& labels = {}) override;
  Histogram* histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& buckets,
                       const MetricLabels& labels = {}) override;
  void gaugeFunction(const std::string& name, const std::string& help, std::function<double()> read,
                     const MetricLabels& labels = {}) override;
  void counterFunction(const std::string& name, const std::string& help,
                       std::function<double()> read, const MetricLabels& labels = {}) override;
  std::string render() const override;

  // A metric name as Prometheus accepts it: [a-zA-Z_:][a-zA-Z0-9_:]*.
  static bool validName(const std::string& name);

 private:
  enum class Kind { Counter, Gauge, Histogram };
  struct Series;
  struct Family;

  // Finds or creates the series; nullptr if the name is invalid or the
  // family exists with another kind or another label-name set.
  Series* series(const std::string& name, const std::string& help, Kind kind,
                 const MetricLabels& labels, const std::vector<double>* buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;  // guarded by mu_
};

}  // namespace cairn::metrics
