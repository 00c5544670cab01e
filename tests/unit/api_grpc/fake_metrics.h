// Fakes the kernel's Metrics: a registry that keeps values and renders nothing.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cairn/host.h"

namespace cairn::api::test {

// A registry that keeps values; rendering is not needed by these tests.
class FakeMetrics final : public Metrics {
 public:
  Counter* counter(const std::string& name, const std::string&,
                   const MetricLabels& labels = {}) override {
    return slot(counters_, name, labels);
  }
  Gauge* gauge(const std::string& name, const std::string&,
               const MetricLabels& labels = {}) override {
    return slot(gauges_, name, labels);
  }
  Histogram* histogram(const std::string& name, const std::string&, const std::vector<double>&,
                       const MetricLabels& labels = {}) override {
    return slot(histograms_, name, labels);
  }
  void gaugeFunction(const std::string&, const std::string&, std::function<double()>,
                     const MetricLabels& = {}) override {}
  std::string render() const override { return {}; }
  void counterFunction(const std::string&, const std::string&, std::function<double()>,
                       const MetricLabels& = {}) override {}

 private:
  struct Value final : Counter, Gauge, Histogram {
    void inc(double by) override { v += by; }
    void set(double x) override { v = x; }
    void add(double by) override { v += by; }
    void observe(double x) override { v += x; }
    double value() const override { return v; }
    std::atomic<double> v{0};
  };
  using Family = std::map<std::pair<std::string, MetricLabels>, std::unique_ptr<Value>>;
  Value* slot(Family& family, const std::string& name, const MetricLabels& labels) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& value = family[{name, labels}];
    if (!value) value = std::make_unique<Value>();
    return value.get();
  }
  std::mutex mu_;
  Family counters_;    // guarded by mu_
  Family gauges_;      // guarded by mu_
  Family histograms_;  // guarded by mu_
};

}  // namespace cairn::api::test
