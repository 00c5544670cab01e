#include "watch_options.h"

#include <boost/program_options.hpp>

#include "command_line.h"
#include "loopback_endpoint.h"

namespace cairn::bench {

namespace po = boost::program_options;

namespace {

WatchParseResult failure(std::string message) {
  WatchParseResult result;
  result.outcome = ParseOutcome::kError;
  result.message = std::move(message);
  return result;
}

std::chrono::milliseconds toMillis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

}  // namespace

WatchParseResult parseWatchOptions(int argc, char** argv) {
  WatchOptions o;
  double slowPauseSeconds = 2;
  double connectSeconds = 5;
  double createSeconds = 60;
  double settleSeconds = 30;
  double quietSeconds = 0.5;
  double rpcSeconds = 10;

  po::options_description desc(
      "cairn-bench watch: watch load and delivery verification (loopback endpoints only).\n"
      "Opens --streams watch streams of --watchers-per-stream watchers over single keys,\n"
      "ranges, prefixes and from-key ranges, writes puts/deletes/txns, and checks that\n"
      "every watcher received exactly its events, once, in order. Prints one JSON object;\n"
      "exits 0 on PASS, 1 on FAIL or error, 2 on a bad command line.\n\nOptions");
  desc.add_options()("help,h", "show this help")(
      "endpoint", po::value(&o.endpoint)->default_value(o.endpoint),
      "server address host:port (127.0.0.0/8, ::1 or localhost)")(
      "clients", po::value(&o.clients)->default_value(o.clients),
      "gRPC connections the streams are spread over")(
      "streams", po::value(&o.streams)->default_value(o.streams), "watch streams")(
      "watchers-per-stream", po::value(&o.watchersPerStream)->default_value(o.watchersPerStream),
      "watchers created on each stream")("keys", po::value(&o.keys)->default_value(o.keys),
                                         "watched key space")(
      "writes", po::value(&o.writes)->default_value(o.writes),
      "writes in total (puts, deletes, multi-op txns)")(
      "history-writes", po::value(&o.historyWrites)->default_value(o.historyWrites),
      "of --writes, how many happen before the watchers are created")(
      "writers", po::value(&o.writers)->default_value(o.writers), "writes in flight")(
      "write-rate", po::value(&o.writeRate)->default_value(o.writeRate),
      "live-phase writes per second (0: each writer issues its next write on ack)")(
      "val-size", po::value(&o.valSize)->default_value(o.valSize), "value length in bytes")(
      "threads", po::value(&o.threads)->default_value(o.threads),
      "completion-queue threads driving the streams")(
      "prefix", po::value(&o.prefix)->default_value(o.prefix),
      "key prefix; deleted at start, so the server must not hold other data under it")(
      "prev-kv-share", po::value(&o.prevKvShare)->default_value(o.prevKvShare),
      "share of watchers asking for prev_kv")(
      "past-start-share", po::value(&o.pastStartShare)->default_value(o.pastStartShare),
      "share of watchers with a start_revision inside the history phase")(
      "slow-streams", po::value(&o.slowStreams)->default_value(o.slowStreams),
      "streams that stop reading once during the live phase (watch every key, prev_kv)")(
      "slow-pause", po::value(&slowPauseSeconds)->default_value(slowPauseSeconds),
      "seconds a slow stream stops reading")(
      "connect-timeout", po::value(&connectSeconds)->default_value(connectSeconds),
      "seconds to wait for the connections")(
      "create-timeout", po::value(&createSeconds)->default_value(createSeconds),
      "seconds to wait for every watcher's created response")(
      "settle-timeout", po::value(&settleSeconds)->default_value(settleSeconds),
      "seconds delivery may stall after the last write before giving up")(
      "quiet-period", po::value(&quietSeconds)->default_value(quietSeconds),
      "seconds to keep listening for surplus events once all are in")(
      "rpc-timeout", po::value(&rpcSeconds)->default_value(rpcSeconds), "per-write deadline")(
      "max-reported", po::value(&o.maxReported)->default_value(o.maxReported),
      "failure descriptions kept in the report")("seed", po::value(&o.seed)->default_value(o.seed),
                                                 "random seed of keys and writes");

  po::variables_map vm;
  WatchParseResult result;
  result.outcome = parseCommandLine(desc, argc, argv, &vm, &result.message);
  if (result.outcome != ParseOutcome::kRun) return result;
  if (std::string reason; !isLoopbackEndpoint(o.endpoint, &reason)) return failure(reason);
  if (o.clients < 1) return failure("--clients must be at least 1");
  if (o.streams < 1) return failure("--streams must be at least 1");
  if (o.watchersPerStream < 1) return failure("--watchers-per-stream must be at least 1");
  if (o.keys < 2) return failure("--keys must be at least 2");
  if (o.keys > 100000000) return failure("--keys must be at most 100000000");
  if (o.writes < 1) return failure("--writes must be at least 1");
  if (o.historyWrites < 0 || o.historyWrites >= o.writes) {
    return failure("--history-writes must be in [0, --writes)");
  }
  if (o.writers < 1) return failure("--writers must be at least 1");
  if (o.writeRate < 0) return failure("--write-rate must not be negative");
  if (o.valSize < 0) return failure("--val-size must not be negative");
  if (o.threads < 1) return failure("--threads must be at least 1");
  if (o.prefix.empty()) return failure("--prefix must not be empty");
  if (o.prevKvShare < 0 || o.prevKvShare > 1) return failure("--prev-kv-share must be in [0, 1]");
  if (o.pastStartShare < 0 || o.pastStartShare > 1) {
    return failure("--past-start-share must be in [0, 1]");
  }
  if (o.slowStreams < 0 || o.slowStreams >= o.streams) {
    return failure("--slow-streams must be in [0, --streams): other streams are the control");
  }
  if (slowPauseSeconds <= 0) return failure("--slow-pause must be positive");
  if (connectSeconds <= 0 || createSeconds <= 0 || settleSeconds <= 0 || quietSeconds < 0 ||
      rpcSeconds <= 0) {
    return failure("timeouts must be positive");
  }
  if (o.maxReported < 0) return failure("--max-reported must not be negative");
  o.slowPause = toMillis(slowPauseSeconds);
  o.connectTimeout = toMillis(connectSeconds);
  o.createTimeout = toMillis(createSeconds);
  o.settleTimeout = toMillis(settleSeconds);
  o.quietPeriod = toMillis(quietSeconds);
  o.rpcTimeout = toMillis(rpcSeconds);

  result.options = o;
  return result;
}

}  // namespace cairn::bench
