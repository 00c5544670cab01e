#include "watch_verifier.h"

#include <algorithm>
#include <tuple>

namespace cairn::bench {

namespace {

std::string describe(const ModelEvent& e, bool withPrev) {
  std::string s = "rev " + std::to_string(e.revision) + (e.isDelete ? " DELETE " : " PUT ") + e.key;
  if (withPrev) s += e.hasPrev ? " +prev_kv" : " (no prev_kv: key was absent)";
  return s;
}

std::string describe(const ReceivedEvent& r, const WatchKeySpace& keys) {
  return "rev " + std::to_string(r.modRevision) + (r.isDelete ? " DELETE " : " PUT ") +
         keys.nameOf(r.keyId) + (r.hasPrev ? " +prev_kv" : "");
}

std::string describeSpec(const WatcherSpec& w, std::int64_t start) {
  std::string s = std::string(w.kind) + " [" + w.key;
  if (w.rangeEnd.size() == 1 && w.rangeEnd[0] == '\0') {
    s += ", +inf)";
  } else if (!w.rangeEnd.empty()) {
    s += ", " + w.rangeEnd + ")";
  } else {
    s += "]";
  }
  if (start > 0) s += " start_revision " + std::to_string(start);
  if (w.prevKv) s += " prev_kv";
  if (w.noPut) s += " NOPUT";
  if (w.noDelete) s += " NODELETE";
  return s;
}

using Identity = std::tuple<std::int64_t, std::uint32_t, bool>;  // revision, key id, delete

std::uint32_t clampMicros(std::int64_t v) {
  if (v < 0) return 0;
  return v > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(v);
}

}  // namespace

void WatchVerdict::fail(std::string line, std::size_t keep) {
  ++failureLines;
  if (failures.size() < keep) failures.push_back(std::move(line));
}

std::vector<const ModelEvent*> expectedEvents(const WatcherSpec& spec, std::int64_t startRevision,
                                              const std::vector<ModelEvent>& events) {
  std::vector<const ModelEvent*> out;
  for (const auto& e : events) {
    if (e.revision < startRevision || !spec.covers(e.key)) continue;
    if (e.isDelete ? spec.noDelete : spec.noPut) continue;
    out.push_back(&e);
  }
  return out;
}

WatchVerdict verifyWatchers(const WatchOptions& o, const WatchKeySpace& keys, const WatchPlan& plan,
                            const std::vector<std::int64_t>& startRevisions,
                            const WatchModel& model, const std::vector<WriteOutcome>& outcomes,
                            std::int64_t historyEndRevision, const WatchStreamPool& pool) {
  WatchVerdict v;
  auto keep = static_cast<std::size_t>(o.maxReported);
  for (std::size_t s = 0; s < pool.streamCount(); ++s) {
    for (const auto& e : pool.stream(s).errors) {
      ++v.streamErrors;
      v.fail("stream " + std::to_string(s) + ": " + e, keep);
    }
  }
  v.watchers = static_cast<std::int64_t>(plan.watchers.size());
  for (std::size_t w = 0; w < plan.watchers.size(); ++w) {
    const WatcherSpec& spec = plan.watchers[w];
    const WatcherLog& log = pool.watcher(w);
    std::size_t streamIndex = w / static_cast<std::size_t>(o.watchersPerStream);
    const StreamReport& stream = pool.stream(streamIndex);
    // A start_revision of 0 means "after the current revision", which is
    // the history's end: nothing is written while watchers are created.
    std::int64_t start = startRevisions[w] > 0 ? startRevisions[w] : historyEndRevision + 1;
    auto expected = expectedEvents(spec, start, model.events());
    const auto& got = log.events;
    v.createdResponses += log.created;
    v.eventsExpected += static_cast<std::int64_t>(expected.size());
    v.eventsReceived += static_cast<std::int64_t>(got.size());
    std::string who = "watcher " + std::to_string(w) + " (stream " + std::to_string(streamIndex) +
                      ", " + describeSpec(spec, startRevisions[w]) + ")";
    bool failed = false;
    if (log.created != 1) {
      v.fail(who + ": " + std::to_string(log.created) + " created responses, expected 1", keep);
      failed = true;
    }
    if (log.canceled) {
      v.fail(who + ": canceled by the server: " + log.cancelReason, keep);
      failed = true;
    }

    // Set view: which events are missing, unexpected or repeated.
    std::vector<Identity> want;
    for (const auto* e : expected) want.emplace_back(e->revision, keys.idOf(e->key), e->isDelete);
    std::vector<Identity> have;
    for (const auto& r : got) have.emplace_back(r.modRevision, r.keyId, r.isDelete);
    std::sort(want.begin(), want.end());
    std::vector<Identity> haveSorted = have;
    std::sort(haveSorted.begin(), haveSorted.end());
    std::int64_t matched = 0, duplicated = 0, unexpected = 0;
    for (std::size_t i = 0; i < haveSorted.size(); ++i) {
      bool repeat = i > 0 && haveSorted[i] == haveSorted[i - 1];
      if (repeat) {
        ++duplicated;
      } else if (std::binary_search(want.begin(), want.end(), haveSorted[i])) {
        ++matched;
      } else {
        ++unexpected;
      }
    }
    std::int64_t missing = static_cast<std::int64_t>(want.size()) - matched;
    v.eventsMissing += missing;
    v.eventsDuplicated += duplicated;
    v.eventsUnexpected += unexpected;

    // Sequence view: the first position where delivery diverges.
    std::size_t n = std::min(expected.size(), got.size());
    std::size_t diverge = n;
    for (std::size_t i = 0; i < n; ++i) {
      const ModelEvent& e = *expected[i];
      const ReceivedEvent& r = got[i];
      bool same =
          r.modRevision == e.revision && r.keyId == keys.idOf(e.key) && r.isDelete == e.isDelete;
      if (!same) {
        diverge = i;
        break;
      }
      bool prevOk = spec.prevKv
                        ? (r.hasPrev == e.hasPrev && (!e.hasPrev || r.prevDigest == e.prevDigest))
                        : !r.hasPrev;
      if (r.kvDigest != e.kvDigest || !prevOk) {
        ++v.watchersWrongContent;
        v.fail(
            who + ": event " + std::to_string(i) + " " + describe(e, spec.prevKv) +
                " arrived with " +
                (r.kvDigest != e.kvDigest ? "a different kv (value/create_revision/version/lease)"
                 : spec.prevKv            ? "a wrong prev_kv"
                                          : "a prev_kv it did not ask for"),
            keep);
        failed = true;
        diverge = i;
        break;
      }
      // Latency of a correct live delivery.
      if (e.revision > historyEndRevision) {
        const WriteOutcome& wo = outcomes[e.write];
        if (stream.slow) {
          v.slowFromSendMicros.push_back(clampMicros(r.atMicros - wo.sentMicros));
          if (wo.sentMicros >= stream.pausedAtMicros && stream.pausedAtMicros >= 0 &&
              wo.sentMicros < stream.resumedAtMicros) {
            ++v.slowBacklogEvents;
            v.slowBacklogBytes += r.bytes;
          }
        } else {
          v.fromSendMicros.push_back(clampMicros(r.atMicros - wo.sentMicros));
          if (r.atMicros < wo.ackMicros) ++v.beforeAck;
          v.fromAckMicros.push_back(clampMicros(r.atMicros - wo.ackMicros));
        }
        v.lastLiveReceiptMicros = std::max(v.lastLiveReceiptMicros, r.atMicros);
      }
    }
    if (diverge < n && !failed) {
      const ReceivedEvent& r = got[diverge];
      const ModelEvent& e = *expected[diverge];
      if (missing == 0 && duplicated == 0 && unexpected == 0) ++v.watchersOutOfOrder;
      v.fail(who + ": event " + std::to_string(diverge) + " should be " + describe(e, spec.prevKv) +
                 ", received " + describe(r, keys) + " (missing " + std::to_string(missing) +
                 ", duplicated " + std::to_string(duplicated) + ", unexpected " +
                 std::to_string(unexpected) + " of " + std::to_string(expected.size()) +
                 " expected, " + std::to_string(got.size()) + " received)",
             keep);
      failed = true;
    } else if (diverge == n && expected.size() != got.size() && !failed) {
      if (got.size() < expected.size()) {
        v.fail(who + ": received " + std::to_string(got.size()) + " of " +
                   std::to_string(expected.size()) +
                   " events; first missing: " + describe(*expected[got.size()], spec.prevKv),
               keep);
      } else {
        v.fail(who + ": received " + std::to_string(got.size() - expected.size()) +
                   " events beyond the expected " + std::to_string(expected.size()) +
                   "; first surplus: " + describe(got[expected.size()], keys),
               keep);
      }
      failed = true;
    }
    if (failed) ++v.watchersFailed;
  }
  return v;
}

}  // namespace cairn::bench
