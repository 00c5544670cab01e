#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench_options.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "latency_summary.h"
#include "workload.h"

namespace cairn::bench {

// What one phase (prefill or measured) did.
struct PhaseResult {
  std::int64_t ops = 0;  // successful requests
  std::int64_t errors = 0;
  std::int64_t txnSucceeded = 0;  // txn: compare held, the put was applied
  std::int64_t txnFailed = 0;     // txn: compare failed, the key was re-read
  double seconds = 0;
  bool stoppedByTime = false;  // the time limit, not the request cap, ended it
  LatencySummary latency;
  std::string firstError;
};

// Drives closed-loop load: `concurrency` request chains, each issuing its
// next request as soon as the previous one completes, spread over `clients`
// connections and `threads` completion queues (gRPC's async CQ API: the
// thread that reaps a completion owns the call, so reuse needs no locks).
class LoadRunner {
 public:
  explicit LoadRunner(const BenchOptions& options);
  ~LoadRunner();

  // Opens every connection and waits until all are ready.
  bool connect(std::string* reason);

  // Puts keys 0..keySpace-1 once each (bounded by the options' duration).
  PhaseResult prefill();

  // The measured phase for the configured workload.
  PhaseResult measure();

 private:
  enum class PhaseMode { kPrefill, kWorkload };
  PhaseResult runPhase(PhaseMode mode, std::int64_t total, std::chrono::milliseconds limit);

  BenchOptions options_;
  Workload workload_;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs_;
  // Last mod_revision seen per key, the expected value of the txn workload's
  // compare. Written and read by every polling thread without a lock: a stale
  // hint only makes one compare fail, which the workload then reports.
  std::unique_ptr<std::atomic<std::int64_t>[]> modRevisionHints_;
};

}  // namespace cairn::bench
