#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "command_line.h"
#include "workload.h"

namespace cairn::bench {

// Everything one cairn-bench invocation needs; filled from the command line.
struct BenchOptions {
  std::string endpoint = "127.0.0.1:2379";
  WorkloadKind workload = WorkloadKind::kPut;
  int clients = 1;       // gRPC connections (each its own TCP connection)
  int concurrency = 64;  // requests in flight in total, across all connections
  int threads = 2;       // completion-queue polling threads in this process
  // Measured phase ends when `total` requests were issued or `duration`
  // elapsed, whichever comes first. Both are always finite.
  std::int64_t total = 0;
  std::chrono::milliseconds duration{0};
  bool totalGiven = false;
  bool durationGiven = false;
  int keySize = 16;
  int valSize = 256;
  std::int64_t keySpace = 10000;
  double readRatio = 0.8;  // mixed only: share of requests that are ranges
  bool serializable = false;
  bool prefill = false;
  std::chrono::milliseconds rpcTimeout{10000};
  std::chrono::milliseconds connectTimeout{5000};
  std::uint64_t seed = 1;
};

// Upper bound on a run when only --total is given, so a stalled server can
// never keep the tool running forever.
inline constexpr std::chrono::seconds kDefaultTimeCap{300};

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kError;
  BenchOptions options;
  std::string message;  // usage text for kHelp, reason for kError
};

ParseResult parseBenchOptions(int argc, char** argv);

}  // namespace cairn::bench
