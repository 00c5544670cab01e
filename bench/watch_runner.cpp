#include "watch_runner.h"

#include <grpcpp/grpcpp.h>

#include <cmath>
#include <iostream>
#include <thread>

#include "json_writer.h"
#include "latency_summary.h"
#include "run_clock.h"
#include "watch_model.h"
#include "watch_plan.h"
#include "watch_stream_pool.h"
#include "watch_verifier.h"
#include "watch_writer.h"

namespace cairn::bench {

namespace {

using Clock = RunClock::Clock;

bool connectChannels(const WatchOptions& o, std::vector<std::shared_ptr<grpc::Channel>>* out,
                     std::string* reason) {
  auto deadline = std::chrono::system_clock::now() + o.connectTimeout;
  for (int i = 0; i < o.clients; ++i) {
    grpc::ChannelArguments args;
    // Each channel its own TCP connection (see load_runner.cpp).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("cairn_bench.client", i);
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
    // A catch-up response of an unsynced watcher can exceed gRPC's 4 MiB
    // default; etcd clients accept any size too.
    args.SetMaxReceiveMessageSize(-1);
    if (o.slowStreams > 0) {
      // Without BDP probing the receive windows stay at their defaults, so
      // a paused stream's backlog must be held back by the server.
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    }
    auto channel = grpc::CreateCustomChannel(o.endpoint, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(deadline)) {
      *reason = "could not connect to " + o.endpoint + " within " +
                std::to_string(o.connectTimeout.count()) + " ms";
      return false;
    }
    out->push_back(std::move(channel));
  }
  return true;
}

std::string latencyJson(std::vector<std::uint32_t>& micros) {
  LatencySummary s = LatencySummary::fromMicros(micros);
  JsonWriter w;
  w.field("samples", static_cast<std::int64_t>(micros.size()))
      .field("p50_ms", s.p50Ms)
      .field("p90_ms", s.p90Ms)
      .field("p99_ms", s.p99Ms)
      .field("max_ms", s.maxMs)
      .field("mean_ms", s.meanMs);
  return w.finish();
}

std::string stringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += JsonWriter::quote(items[i]);
  }
  return out + "]";
}

double seconds(std::int64_t micros) {
  return static_cast<double>(micros) / 1e6;
}

// Waits until `done()` or until `progress()` stalls for `stall`.
template <typename Done, typename Progress>
bool waitFor(Done done, Progress progress, std::chrono::milliseconds stall) {
  std::int64_t last = progress();
  auto lastChange = Clock::now();
  while (!done()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::int64_t now = progress();
    if (now != last) {
      last = now;
      lastChange = Clock::now();
    } else if (Clock::now() - lastChange > stall) {
      return false;
    }
  }
  return true;
}

}  // namespace

int runWatch(const WatchOptions& o) {
  RunClock clock;
  WatchKeySpace keys(o.prefix, o.keys);
  WatchPlan plan = WatchPlan::make(o, keys);

  JsonWriter report;
  report.field("mode", "watch")
      .field("endpoint", o.endpoint)
      .field("clients", o.clients)
      .field("streams", o.streams)
      .field("watchers_per_stream", o.watchersPerStream)
      .field("watchers", static_cast<std::int64_t>(plan.watchers.size()))
      .field("keys", o.keys)
      .field("writes", o.writes)
      .field("history_writes", o.historyWrites)
      .field("writers", o.writers)
      .field("write_rate", o.writeRate)
      .field("val_size", o.valSize)
      .field("threads", o.threads)
      .field("slow_streams", o.slowStreams)
      .field("seed", static_cast<std::int64_t>(o.seed));
  auto abort = [&](const std::string& why) {
    report.field("result", "FAIL").field("error", why);
    std::cout << report.finish() << std::endl;
    std::cerr << "cairn-bench watch: FAIL: " << why << "\n";
    return 1;
  };

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::string reason;
  if (!connectChannels(o, &channels, &reason)) return abort(reason);

  WatchWriter writer(o, clock, channels);
  std::int64_t baseRevision = 0;
  if (!writer.clearPrefix(o.prefix, &baseRevision, &reason)) return abort(reason);
  std::vector<WriteOutcome> outcomes(plan.writes.size());
  auto history = static_cast<std::size_t>(o.historyWrites);
  if (!writer.run(plan.writes, 0, history, 0, outcomes, &reason)) return abort(reason);
  std::int64_t historyEnd = baseRevision;
  for (std::size_t i = 0; i < history; ++i) {
    if (outcomes[i].changed(plan.writes[i])) ++historyEnd;
  }

  // Past starts land anywhere in the history phase's revisions.
  std::vector<std::int64_t> startRevisions(plan.watchers.size(), 0);
  for (std::size_t w = 0; w < plan.watchers.size(); ++w) {
    double f = plan.watchers[w].pastStart;
    if (f >= 0 && historyEnd > baseRevision) {
      startRevisions[w] =
          baseRevision + 1 +
          static_cast<std::int64_t>(std::floor(f * static_cast<double>(historyEnd - baseRevision)));
    }
  }

  WatchStreamPool pool(o, clock, keys, plan.watchers, channels);
  std::int64_t createStart = clock.micros();
  pool.start(startRevisions);
  auto total = static_cast<std::int64_t>(plan.watchers.size());
  bool allCreated = waitFor([&] { return pool.created() >= total || pool.streamsEnded() > 0; },
                            [&] { return pool.created(); }, o.createTimeout);
  std::int64_t createMicros = clock.micros() - createStart;
  report.field("create_seconds", seconds(createMicros));
  if (!allCreated || pool.created() < total) {
    pool.stop();
    std::int64_t created = pool.created();
    std::string streamError;
    for (std::size_t s = 0; s < pool.streamCount() && streamError.empty(); ++s) {
      if (!pool.stream(s).errors.empty())
        streamError = "; stream " + std::to_string(s) + ": " + pool.stream(s).errors[0];
    }
    return abort("only " + std::to_string(created) + " of " + std::to_string(total) +
                 " watchers were created (creation stalled for " +
                 std::to_string(o.createTimeout.count()) + " ms)" + streamError);
  }

  std::int64_t liveStart = clock.micros();
  pool.armSlowPause();
  bool writesOk =
      writer.run(plan.writes, history, plan.writes.size(), o.writeRate, outcomes, &reason);
  std::int64_t liveWritesEnd = clock.micros();
  if (!writesOk) {
    pool.stop();
    return abort(reason);
  }

  WatchModel model;
  if (!model.build(plan.writes, outcomes, baseRevision, &reason)) {
    pool.stop();
    return abort(reason);
  }
  std::int64_t expectedTotal = 0;
  for (std::size_t w = 0; w < plan.watchers.size(); ++w) {
    std::int64_t start = startRevisions[w] > 0 ? startRevisions[w] : historyEnd + 1;
    expectedTotal +=
        static_cast<std::int64_t>(expectedEvents(plan.watchers[w], start, model.events()).size());
  }
  bool settled = waitFor([&] { return pool.eventsReceived() >= expectedTotal; },
                         [&] { return pool.eventsReceived(); }, o.settleTimeout);
  std::int64_t settledAt = clock.micros();
  // Surplus (duplicated, leaked) events would arrive about now.
  std::this_thread::sleep_for(o.quietPeriod);
  pool.stop();

  WatchVerdict v = verifyWatchers(o, keys, plan, startRevisions, model, outcomes, historyEnd, pool);
  if (!settled) {
    v.fail("delivery stalled for " + std::to_string(o.settleTimeout.count()) + " ms with " +
               std::to_string(pool.eventsReceived()) + " of " + std::to_string(expectedTotal) +
               " expected events received",
           static_cast<std::size_t>(o.maxReported));
  }

  // Slow consumers: the scenario must really have paused with writes
  // going on, and the other streams must not have waited for it.
  std::int64_t pausedStreams = 0;
  std::int64_t writesDuringPause = 0;
  for (std::size_t s = 0; s < pool.streamCount(); ++s) {
    const StreamReport& sr = pool.stream(s);
    if (!sr.slow) continue;
    if (sr.pausedAtMicros < 0 || sr.resumedAtMicros < 0) {
      v.fail("slow stream " + std::to_string(s) +
                 " never paused: it received no events during the live phase",
             static_cast<std::size_t>(o.maxReported));
      continue;
    }
    ++pausedStreams;
    for (std::size_t i = history; i < outcomes.size(); ++i) {
      if (outcomes[i].sentMicros >= sr.pausedAtMicros &&
          outcomes[i].sentMicros < sr.resumedAtMicros) {
        ++writesDuringPause;
      }
    }
  }
  if (o.slowStreams > 0 && pausedStreams == o.slowStreams && writesDuringPause == 0) {
    v.fail("no write was sent while the slow streams were paused; lengthen the live phase",
           static_cast<std::size_t>(o.maxReported));
  }
  std::vector<std::uint32_t> fromSend = v.fromSendMicros;
  std::uint32_t maxOther = 0;
  for (auto m : fromSend) maxOther = std::max(maxOther, m);
  if (o.slowStreams > 0 && maxOther >= static_cast<std::uint64_t>(o.slowPause.count()) * 1000) {
    v.fail("an event on a stream that kept reading took " + std::to_string(maxOther / 1000) +
               " ms, as long as the slow streams' pause: delivery to other streams was held "
               "up by the slow consumer",
           static_cast<std::size_t>(o.maxReported));
  }

  std::int64_t liveDeliveries =
      static_cast<std::int64_t>(v.fromSendMicros.size() + v.slowFromSendMicros.size());
  double deliverySeconds =
      v.lastLiveReceiptMicros > liveStart ? seconds(v.lastLiveReceiptMicros - liveStart) : 0;
  std::vector<std::uint32_t> writeMicros;
  for (std::size_t i = history; i < outcomes.size(); ++i) {
    writeMicros.push_back(static_cast<std::uint32_t>(
        std::max<std::int64_t>(0, outcomes[i].ackMicros - outcomes[i].sentMicros)));
  }
  report.field("base_revision", baseRevision)
      .field("history_end_revision", historyEnd)
      .field("model_events", static_cast<std::int64_t>(model.events().size()))
      .field("live_write_seconds", seconds(liveWritesEnd - liveStart))
      .field("live_writes_per_sec", liveWritesEnd > liveStart
                                        ? static_cast<double>(outcomes.size() - history) /
                                              seconds(liveWritesEnd - liveStart)
                                        : 0.0)
      .field("settle_seconds", seconds(settledAt - liveWritesEnd))
      .field("created_responses", v.createdResponses)
      .field("events_expected", v.eventsExpected)
      .field("events_received", v.eventsReceived)
      .field("events_missing", v.eventsMissing)
      .field("events_duplicated", v.eventsDuplicated)
      .field("events_unexpected", v.eventsUnexpected)
      .field("watchers_failed", v.watchersFailed)
      .field("watchers_out_of_order", v.watchersOutOfOrder)
      .field("watchers_wrong_content", v.watchersWrongContent)
      .field("stream_errors", v.streamErrors)
      .field("live_deliveries", liveDeliveries)
      .field("delivery_seconds", deliverySeconds)
      .field("events_per_sec",
             deliverySeconds > 0 ? static_cast<double>(liveDeliveries) / deliverySeconds : 0.0)
      .rawField("event_latency", latencyJson(fromSend))
      .rawField("event_latency_from_ack", latencyJson(v.fromAckMicros))
      .field("events_before_ack", v.beforeAck)
      .rawField("write_latency", latencyJson(writeMicros));
  if (o.slowStreams > 0) {
    JsonWriter slow;
    slow.field("pause_seconds", o.slowPause.count() / 1000.0)
        .field("streams_paused", pausedStreams)
        .field("writes_during_pause", writesDuringPause)
        .field("backlog_events", v.slowBacklogEvents)
        .field("backlog_bytes", v.slowBacklogBytes)
        .rawField("event_latency", latencyJson(v.slowFromSendMicros));
    report.rawField("slow", slow.finish());
  }
  report.field("failure_count", v.failureLines).rawField("failures", stringArray(v.failures));
  report.field("result", v.pass() ? "PASS" : "FAIL");
  std::cout << report.finish() << std::endl;
  if (!v.pass()) {
    std::cerr << "cairn-bench watch: FAIL (" << v.failureLines << " failures)\n";
    for (const auto& f : v.failures) std::cerr << "  " << f << "\n";
    return 1;
  }
  std::cerr << "cairn-bench watch: PASS: " << v.watchers << " watchers received all "
            << v.eventsExpected << " expected events exactly once, in order\n";
  return 0;
}

}  // namespace cairn::bench
