// cairn-bench: closed-loop load against one etcd v3 KV endpoint, or with
// the `watch` subcommand a watch load with delivery verification; prints one
// JSON object on stdout. Exit status: 0 all requests succeeded (watch: PASS),
// 1 some request failed, verification failed or the endpoint was
// unreachable, 2 bad command line.
#include <cstring>
#include <iostream>

#include "bench_options.h"
#include "json_writer.h"
#include "load_runner.h"
#include "watch_options.h"
#include "watch_runner.h"

namespace cairn::bench {
namespace {

std::string phaseJson(const PhaseResult& r) {
  JsonWriter w;
  w.field("ops", r.ops).field("errors", r.errors).field("seconds", r.seconds);
  if (!r.firstError.empty()) w.field("first_error", r.firstError);
  return w.finish();
}

std::string reportJson(const BenchOptions& o, const PhaseResult* prefill, const PhaseResult& r) {
  JsonWriter w;
  w.field("workload", workloadName(o.workload))
      .field("endpoint", o.endpoint)
      .field("clients", o.clients)
      .field("concurrency", o.concurrency)
      .field("threads", o.threads)
      .field("key_size", o.keySize)
      .field("val_size", o.valSize)
      .field("key_space", o.keySpace)
      .field("serializable", o.serializable);
  if (o.workload == WorkloadKind::kMixed) w.field("read_ratio", o.readRatio);
  if (o.totalGiven) w.field("requested_total", o.total);
  w.field("time_limit_seconds", o.duration.count() / 1000.0);
  w.field("ops", r.ops)
      .field("errors", r.errors)
      .field("seconds", r.seconds)
      .field("ops_per_sec", r.seconds > 0 ? r.ops / r.seconds : 0.0)
      .field("p50_ms", r.latency.p50Ms)
      .field("p90_ms", r.latency.p90Ms)
      .field("p99_ms", r.latency.p99Ms)
      .field("max_ms", r.latency.maxMs)
      .field("mean_ms", r.latency.meanMs)
      .field("stopped_by", r.stoppedByTime ? "time" : "total");
  if (o.workload == WorkloadKind::kTxn) {
    w.field("txn_succeeded", r.txnSucceeded).field("txn_failed", r.txnFailed);
  }
  if (!r.firstError.empty()) w.field("first_error", r.firstError);
  if (prefill != nullptr) w.rawField("prefill", phaseJson(*prefill));
  return w.finish();
}

int runWatchCommand(int argc, char** argv) {
  WatchParseResult parsed = parseWatchOptions(argc, argv);
  if (parsed.outcome == ParseOutcome::kHelp) {
    std::cout << parsed.message;
    return 0;
  }
  if (parsed.outcome == ParseOutcome::kError) {
    std::cerr << "cairn-bench watch: " << parsed.message << " (see watch --help)\n";
    return 2;
  }
  return runWatch(parsed.options);
}

int run(int argc, char** argv) {
  // The watch subcommand's options start after the word "watch", which
  // takes argv[0]'s place for the parser.
  if (argc >= 2 && std::strcmp(argv[1], "watch") == 0) return runWatchCommand(argc - 1, argv + 1);
  ParseResult parsed = parseBenchOptions(argc, argv);
  if (parsed.outcome == ParseOutcome::kHelp) {
    std::cout << parsed.message;
    return 0;
  }
  if (parsed.outcome == ParseOutcome::kError) {
    std::cerr << "cairn-bench: " << parsed.message << " (see --help)\n";
    return 2;
  }
  const BenchOptions& options = parsed.options;
  LoadRunner runner(options);
  std::string reason;
  if (!runner.connect(&reason)) {
    std::cerr << "cairn-bench: " << reason << "\n";
    return 1;
  }
  PhaseResult prefill;
  if (options.prefill) {
    prefill = runner.prefill();
    if (prefill.errors > 0) {
      // Measuring on a half-filled key space would compare unlike runs.
      std::cout << reportJson(options, &prefill, PhaseResult{}) << std::endl;
      std::cerr << "cairn-bench: prefill failed: " << prefill.firstError << "\n";
      return 1;
    }
  }
  PhaseResult result = runner.measure();
  std::cout << reportJson(options, options.prefill ? &prefill : nullptr, result) << std::endl;
  return result.errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  return cairn::bench::run(argc, argv);
}
