// HookMetrics: the plugin's own figures on /metrics (scripts' own counters
// are cairn_hook_<name>, made by cairn.metric). Counters are thread-safe
// and looked up once per (family, labels) by the registry.
#pragma once

#include <string>

#include "cairn/metrics.h"
#include "sandbox.h"

namespace cairn::luahooks {

class HookMetrics {
 public:
  // `metrics` null: counting is skipped (--lua-check).
  explicit HookMetrics(Metrics* metrics) : metrics_(metrics) {}

  // cairn_hook_errors_total{script,kind}: failed loads and handler calls.
  void error(const std::string& script, FailureKind kind);
  // cairn_hook_events_total{script}: events a handler completed.
  void handled(const std::string& script);
  // cairn_hook_events_failed_total{script}: events given up after retries.
  void gaveUp(const std::string& script);
  // cairn_hook_compacted_total{script}: resumes that found the handler's
  // next revision compacted (its events up to the compaction are missed).
  void compacted(const std::string& script);
  // cairn_hook_scripts{state="running"|"failed"} after a (re)load.
  void scripts(int loaded, int failed);

 private:
  Counter* counter(const std::string& name, const std::string& help, const MetricLabels& labels);

  Metrics* const metrics_;
};

}  // namespace cairn::luahooks
