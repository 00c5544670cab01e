#include "hook_metrics.h"

namespace cairn::luahooks {

Counter* HookMetrics::counter(const std::string& name, const std::string& help,
                              const MetricLabels& labels) {
  if (metrics_ == nullptr) return nullptr;
  return metrics_->counter(name, help, labels);
}

void HookMetrics::error(const std::string& script, FailureKind kind) {
  if (Counter* c = counter("cairn_hook_errors_total",
                           "Lua hook failures: scripts that did not load, handler calls that "
                           "failed (runtime error, instruction or memory limit).",
                           {{"script", script}, {"kind", failureKindName(kind)}})) {
    c->inc();
  }
}

void HookMetrics::handled(const std::string& script) {
  if (Counter* c = counter("cairn_hook_events_total", "Events Lua hook handlers completed.",
                           {{"script", script}})) {
    c->inc();
  }
}

void HookMetrics::gaveUp(const std::string& script) {
  if (Counter* c = counter("cairn_hook_events_failed_total",
                           "Events a Lua hook handler failed on every attempt and skipped.",
                           {{"script", script}})) {
    c->inc();
  }
}

void HookMetrics::compacted(const std::string& script) {
  if (Counter* c =
          counter("cairn_hook_compacted_total",
                  "Lua hook handlers that resumed past compacted history.", {{"script", script}})) {
    c->inc();
  }
}

void HookMetrics::scripts(int loaded, int failed) {
  if (metrics_ == nullptr) return;
  if (Gauge* g = metrics_->gauge("cairn_hook_scripts", "Lua hook scripts by state.",
                                 {{"state", "loaded"}})) {
    g->set(loaded);
  }
  if (Gauge* g = metrics_->gauge("cairn_hook_scripts", "Lua hook scripts by state.",
                                 {{"state", "failed"}})) {
    g->set(failed);
  }
}

}  // namespace cairn::luahooks
