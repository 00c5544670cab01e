#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "watch_model.h"
#include "watch_options.h"
#include "watch_plan.h"
#include "watch_stream_pool.h"
#include "watch_writer.h"

namespace cairn::bench {

struct WatchVerdict {
  std::int64_t watchers = 0;
  std::int64_t watchersFailed = 0;
  std::int64_t createdResponses = 0;
  std::int64_t eventsExpected = 0;
  std::int64_t eventsReceived = 0;
  std::int64_t eventsMissing = 0;     // expected, never received
  std::int64_t eventsUnexpected = 0;  // received, not expected at all
  std::int64_t eventsDuplicated = 0;  // received more than once
  std::int64_t watchersOutOfOrder = 0;
  std::int64_t watchersWrongContent = 0;
  std::int64_t streamErrors = 0;
  std::vector<std::string> failures;  // first few, human readable
  std::int64_t failureLines = 0;      // including those not kept

  // Live-phase deliveries (write issued after the watchers existed), split
  // by whether the stream is a slow consumer. Microseconds from the write's
  // send and from its ack (receipt before the ack counts as 0, see
  // beforeAck) to the receipt.
  std::vector<std::uint32_t> fromSendMicros;
  std::vector<std::uint32_t> fromAckMicros;
  std::vector<std::uint32_t> slowFromSendMicros;
  std::int64_t beforeAck = 0;
  std::int64_t lastLiveReceiptMicros = -1;

  // Slow consumers: events whose write was sent while their stream was not
  // reading, and their encoded size (what the server had to hold back).
  std::int64_t slowBacklogEvents = 0;
  std::int64_t slowBacklogBytes = 0;

  bool pass() const { return failureLines == 0; }
  void fail(std::string line, std::size_t keep);
};

// Expected events of one watcher, in delivery order.
std::vector<const ModelEvent*> expectedEvents(const WatcherSpec& spec, std::int64_t startRevision,
                                              const std::vector<ModelEvent>& events);

// Compares every watcher's received events with the model's. A watcher
// passes when it got exactly one created response, was not canceled, and
// received exactly its expected events (key in range, revision >= its start,
// not filtered), each once, in order, with matching kv and prev_kv.
WatchVerdict verifyWatchers(const WatchOptions& options, const WatchKeySpace& keys,
                            const WatchPlan& plan, const std::vector<std::int64_t>& startRevisions,
                            const WatchModel& model, const std::vector<WriteOutcome>& outcomes,
                            std::int64_t historyEndRevision, const WatchStreamPool& pool);

}  // namespace cairn::bench
