#include "bench_options.h"

#include <boost/program_options.hpp>

#include "command_line.h"
#include "loopback_endpoint.h"

namespace cairn::bench {

namespace po = boost::program_options;

namespace {

ParseResult failure(std::string message) {
  ParseResult result;
  result.outcome = ParseOutcome::kError;
  result.message = std::move(message);
  return result;
}

}  // namespace

ParseResult parseBenchOptions(int argc, char** argv) {
  BenchOptions opts;
  std::string workload = "put";
  double durationSeconds = 0;
  double rpcTimeoutSeconds = 10;
  double connectTimeoutSeconds = 5;

  po::options_description desc(
      "cairn-bench: etcd v3 KV load generator (loopback endpoints only).\n"
      "Prints one JSON object on stdout; exits 1 if any request failed.\n"
      "Watch load and verification: cairn-bench watch --help\n\nOptions");
  desc.add_options()("help,h", "show this help")(
      "endpoint", po::value(&opts.endpoint)->default_value(opts.endpoint),
      "server address host:port (127.0.0.0/8, ::1 or localhost)")(
      "workload", po::value(&workload)->default_value(workload),
      "put | range | txn (compare-and-put) | mixed")(
      "clients", po::value(&opts.clients)->default_value(opts.clients),
      "gRPC connections (separate TCP connections)")(
      "concurrency", po::value(&opts.concurrency)->default_value(opts.concurrency),
      "requests in flight in total")("total", po::value(&opts.total),
                                     "stop after this many requests (default 10000)")(
      "duration", po::value(&durationSeconds),
      "stop after this many seconds (without --total: no request cap)")(
      "key-size", po::value(&opts.keySize)->default_value(opts.keySize), "key length in bytes")(
      "val-size", po::value(&opts.valSize)->default_value(opts.valSize), "value length in bytes")(
      "key-space", po::value(&opts.keySpace)->default_value(opts.keySpace),
      "number of distinct keys; keys are picked uniformly")(
      "read-ratio", po::value(&opts.readRatio)->default_value(opts.readRatio),
      "mixed: share of requests that are single-key ranges")(
      "serializable", po::bool_switch(&opts.serializable),
      "ranges use serializable instead of linearizable reads")(
      "prefill", po::bool_switch(&opts.prefill),
      "put every key of the key space once before measuring (not counted)")(
      "threads", po::value(&opts.threads)->default_value(opts.threads),
      "completion-queue polling threads")(
      "rpc-timeout", po::value(&rpcTimeoutSeconds)->default_value(rpcTimeoutSeconds),
      "per-request deadline in seconds; expiry counts as an error")(
      "connect-timeout", po::value(&connectTimeoutSeconds)->default_value(connectTimeoutSeconds),
      "seconds to wait for every connection before giving up")(
      "seed", po::value(&opts.seed)->default_value(opts.seed), "random seed");

  po::variables_map vm;
  ParseResult result;
  result.outcome = parseCommandLine(desc, argc, argv, &vm, &result.message);
  if (result.outcome != ParseOutcome::kRun) return result;

  auto kind = parseWorkloadKind(workload);
  if (!kind) return failure("unknown --workload '" + workload + "' (put|range|txn|mixed)");
  opts.workload = *kind;
  if (std::string reason; !isLoopbackEndpoint(opts.endpoint, &reason)) return failure(reason);
  if (opts.clients < 1) return failure("--clients must be at least 1");
  if (opts.concurrency < 1) return failure("--concurrency must be at least 1");
  if (opts.threads < 1) return failure("--threads must be at least 1");
  if (opts.keySpace < 1) return failure("--key-space must be at least 1");
  if (opts.valSize < 0) return failure("--val-size must not be negative");
  if (opts.readRatio < 0 || opts.readRatio > 1) return failure("--read-ratio must be in [0, 1]");
  if (opts.keySize < Workload::minKeySize(opts.keySpace)) {
    return failure("--key-size " + std::to_string(opts.keySize) + " cannot spell " +
                   std::to_string(opts.keySpace) + " distinct keys; need at least " +
                   std::to_string(Workload::minKeySize(opts.keySpace)));
  }
  opts.totalGiven = vm.count("total") > 0;
  opts.durationGiven = vm.count("duration") > 0;
  if (opts.totalGiven && opts.total < 1) return failure("--total must be at least 1");
  if (opts.durationGiven && durationSeconds <= 0) return failure("--duration must be positive");
  if (rpcTimeoutSeconds <= 0) return failure("--rpc-timeout must be positive");
  if (connectTimeoutSeconds <= 0) return failure("--connect-timeout must be positive");
  if (!opts.totalGiven && !opts.durationGiven) {
    opts.total = 10000;
    opts.totalGiven = true;
  }
  auto toMillis = [](double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
  };
  opts.duration = opts.durationGiven ? toMillis(durationSeconds) : kDefaultTimeCap;
  opts.rpcTimeout = toMillis(rpcTimeoutSeconds);
  opts.connectTimeout = toMillis(connectTimeoutSeconds);
  // A connection with no request on it would only add setup noise.
  if (opts.clients > opts.concurrency) opts.clients = opts.concurrency;

  result.options = opts;
  return result;
}

}  // namespace cairn::bench
