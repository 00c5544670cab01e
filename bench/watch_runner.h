#pragma once

#include "watch_options.h"

namespace cairn::bench {

// Runs one watch load and verification (`cairn-bench watch`): clears the
// prefix, writes the history phase, creates every watcher and waits for all
// created responses, writes the live phase (slow streams pause once), waits
// until every expected event arrived (or delivery stalls), listens for a
// quiet period, then verifies and prints one JSON report on stdout.
// Returns the exit status: 0 PASS, 1 FAIL or error.
int runWatch(const WatchOptions& options);

}  // namespace cairn::bench
