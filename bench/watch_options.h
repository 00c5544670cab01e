#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "command_line.h"

namespace cairn::bench {

// Everything `cairn-bench watch` needs; filled from the command line.
struct WatchOptions {
  std::string endpoint = "127.0.0.1:2379";
  int clients = 4;  // gRPC connections the streams are spread over
  int streams = 1;
  int watchersPerStream = 100;
  std::int64_t keys = 1000;  // watched key space
  std::int64_t writes = 1000;
  // Writes issued before the watchers exist; watchers with a past
  // start_revision replay part of them from history.
  std::int64_t historyWrites = 200;
  int writers = 2;       // writes in flight
  double writeRate = 0;  // writes per second over the live phase; 0: as fast as acked
  int valSize = 64;
  int threads = 2;  // completion-queue threads driving the watch streams
  std::string prefix = "cairn-bench-watch/";
  double prevKvShare = 0.3;     // watchers asking for prev_kv
  double pastStartShare = 0.2;  // watchers starting at a revision of the history phase
  int slowStreams = 0;          // streams that stop reading once during the live phase
  std::chrono::milliseconds slowPause{2000};
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds createTimeout{60000};
  // After the last write: how long the delivery may stall before the run
  // gives up waiting, and how long to keep listening for surplus events.
  std::chrono::milliseconds settleTimeout{30000};
  std::chrono::milliseconds quietPeriod{500};
  std::chrono::milliseconds rpcTimeout{10000};
  int maxReported = 20;  // failure lines in the report
  std::uint64_t seed = 1;

  int totalWatchers() const { return streams * watchersPerStream; }
};

struct WatchParseResult {
  ParseOutcome outcome = ParseOutcome::kError;
  WatchOptions options;
  std::string message;  // usage text for kHelp, reason for kError
};

// Parses the arguments after the `watch` subcommand word.
WatchParseResult parseWatchOptions(int argc, char** argv);

}  // namespace cairn::bench
