#include "metrics/metrics_registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cairn::metrics {
namespace {

// Lock-free add on a double: C++20's atomic<double>::fetch_add is not in
// every libstdc++ this builds with, so compare-exchange it.
void atomicAdd(std::atomic<double>& a, double by) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + by, std::memory_order_relaxed)) {
  }
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest text that reads back as the same double, as Go's client
  // writes it (FormatFloat 'g', -1).
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}` with `extra` (e.g. le) appended; empty for no labels.
std::string labelText(const MetricLabels& labels, const std::string& extraName = "",
                      const std::string& extraValue = "") {
  if (labels.empty() && extraName.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escapeLabel(v) + "\"";
  }
  if (!extraName.empty()) {
    if (!first) out += ",";
    out += extraName + "=\"" + extraValue + "\"";
  }
  return out + "}";
}

std::vector<std::string> labelNames(const MetricLabels& labels) {
  std::vector<std::string> names;
  for (const auto& [k, _] : labels) names.push_back(k);
  return names;
}

}  // namespace

struct MetricsRegistry::Series final : Counter, Gauge, Histogram {
  explicit Series(MetricLabels l, std::vector<double> b)
      : labels(std::move(l)), bounds(std::move(b)), bucketCounts(bounds.size() + 1) {}

  void inc(double by) override {
    if (by > 0) atomicAdd(value_, by);  // counters never go down
  }
  void set(double v) override { value_.store(v, std::memory_order_relaxed); }
  void add(double by) override { atomicAdd(value_, by); }
  double value() const override { return read ? read() : value_.load(std::memory_order_relaxed); }
  void observe(double v) override {
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), v);
    bucketCounts[static_cast<std::size_t>(it - bounds.begin())].fetch_add(
        1, std::memory_order_relaxed);
    atomicAdd(sum, v);
    count.fetch_add(1, std::memory_order_relaxed);
  }

  const MetricLabels labels;
  const std::vector<double> bounds;                 // histograms only
  std::vector<std::atomic<uint64_t>> bucketCounts;  // per bound, then +Inf (not cumulative)
  std::atomic<double> sum{0};
  std::atomic<uint64_t> count{0};
  std::function<double()> read;  // gauge functions; set before publication
  std::atomic<double> value_{0};
};

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  Kind kind;
  std::vector<std::string> labelNames;
  std::vector<double> buckets;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series;  // by label values
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

bool MetricsRegistry::validName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

MetricsRegistry::Series* MetricsRegistry::series(const std::string& name, const std::string& help,
                                                 Kind kind, const MetricLabels& labels,
                                                 const std::vector<double>* buckets) {
  if (!validName(name)) return nullptr;
  for (const auto& [k, _] : labels) {
    if (!validName(k) || k.rfind("__", 0) == 0 || k == "le") return nullptr;
  }
  std::lock_guard lk(mu_);
  auto& family = families_[name];
  if (!family) {
    family = std::make_unique<Family>();
    family->name = name;
    family->help = help;
    family->kind = kind;
    family->labelNames = labelNames(labels);
    if (buckets != nullptr) {
      family->buckets = *buckets;
      std::sort(family->buckets.begin(), family->buckets.end());
    }
  } else if (family->kind != kind || family->labelNames != labelNames(labels)) {
    return nullptr;
  }
  std::vector<std::string> values;
  for (const auto& [_, v] : labels) values.push_back(v);
  auto& s = family->series[values];
  if (!s) s = std::make_unique<Series>(labels, family->buckets);
  return s.get();
}

Counter* MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const MetricLabels& labels) {
  return series(name, help, Kind::Counter, labels, nullptr);
}

Gauge* MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const MetricLabels& labels) {
  return series(name, help, Kind::Gauge, labels, nullptr);
}

Histogram* MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::vector<double>& buckets,
                                      const MetricLabels& labels) {
  return series(name, help, Kind::Histogram, labels, &buckets);
}

void MetricsRegistry::gaugeFunction(const std::string& name, const std::string& help,
                                    std::function<double()> read, const MetricLabels& labels) {
  Series* s = series(name, help, Kind::Gauge, labels, nullptr);
  if (s == nullptr) return;
  std::lock_guard lk(mu_);  // render() reads `read` under the same mutex
  s->read = std::move(read);
}

void MetricsRegistry::counterFunction(const std::string& name, const std::string& help,
                                      std::function<double()> read, const MetricLabels& labels) {
  Series* s = series(name, help, Kind::Counter, labels, nullptr);
  if (s == nullptr) return;
  std::lock_guard lk(mu_);  // render() reads `read` under the same mutex
  s->read = std::move(read);
}

std::string MetricsRegistry::render() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family->kind == Kind::Counter ? "counter"
                       : family->kind == Kind::Gauge ? "gauge"
                                                     : "histogram";
    out += "# HELP " + name + " " + escapeHelp(family->help) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [_, s] : family->series) {
      if (family->kind != Kind::Histogram) {
        out += name + labelText(s->labels) + " " + formatValue(s->value()) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (std::size_t i = 0; i < s->bucketCounts.size(); ++i) {
        cumulative += s->bucketCounts[i].load(std::memory_order_relaxed);
        const std::string le = i < s->bounds.size() ? formatValue(s->bounds[i]) : "+Inf";
        out += name + "_bucket" + labelText(s->labels, "le", le) + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + labelText(s->labels) + " " +
             formatValue(s->sum.load(std::memory_order_relaxed)) + "\n";
      out += name + "_count" + labelText(s->labels) + " " +
             std::to_string(s->count.load(std::memory_order_relaxed)) + "\n";
    }
  }
  return out;
}

}  // namespace cairn::metrics
