// Metrics: one registry of counters, gauges and histograms for the kernel
// and every plugin, rendered in Prometheus' text format by whichever
// frontend serves /metrics. Names follow etcd's (etcd_server_has_leader,
// grpc_server_handled_total, ...) so existing dashboards work; Cairn's own
// figures are named cairn_*.
//
// Asking for a metric by the same name and label values returns the same
// object, which lives as long as the registry; holding the reference and
// updating it is lock-free. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cairn {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  virtual ~Counter() = default;
  virtual void inc(double by = 1) = 0;
  virtual double value() const = 0;
};

class Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void set(double v) = 0;
  virtual void add(double by) = 0;
  virtual double value() const = 0;
};

class Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void observe(double v) = 0;
};

class Metrics {
 public:
  virtual ~Metrics() = default;
  // A family's help text and kind are fixed by its first registration; a
  // later one with another kind returns nullptr.
  virtual Counter* counter(const std::string& name, const std::string& help,
                           const MetricLabels& labels = {}) = 0;
  virtual Gauge* gauge(const std::string& name, const std::string& help,
                       const MetricLabels& labels = {}) = 0;
  // `buckets`: upper bounds, ascending (the +Inf bucket is implied).
  virtual Histogram* histogram(const std::string& name, const std::string& help,
                               const std::vector<double>& buckets,
                               const MetricLabels& labels = {}) = 0;
  // A gauge read when scraped (process figures, sizes owned elsewhere).
  // `read` runs on the scraping thread and must not block.
  virtual void gaugeFunction(const std::string& name, const std::string& help,
                             std::function<double()> read, const MetricLabels& labels = {}) = 0;
  // Every family in Prometheus' text exposition format (version 0.0.4).
  virtual std::string render() const = 0;
  // A counter read when scraped (a total kept elsewhere, e.g. the process'
  // CPU seconds); as gaugeFunction. Last, so the vtable only grows.
  virtual void counterFunction(const std::string& name, const std::string& help,
                               std::function<double()> read, const MetricLabels& labels = {}) = 0;
};

}  // namespace cairn
