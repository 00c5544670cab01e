#include "watch_model.h"

#include <algorithm>
#include <map>

#include "watch_event_digest.h"

namespace cairn::bench {

namespace {

struct KeyState {
  std::int64_t createRevision = 0;
  std::int64_t modRevision = 0;
  std::int64_t version = 0;
  std::string value;
};

std::uint64_t digestOf(const std::string& key, const KeyState& s) {
  return kvDigest(key, s.createRevision, s.modRevision, s.version, s.value, 0);
}

}  // namespace

bool WatchModel::build(const std::vector<WriteSpec>& writes,
                       const std::vector<WriteOutcome>& outcomes, std::int64_t baseRevision,
                       std::string* error) {
  events_.clear();
  // A write that changed nothing (a delete of missing keys) reports the
  // revision it observed, so it ran after the write that created that
  // revision: it sorts behind it, and must find nothing to delete there too.
  std::vector<std::size_t> order;
  std::vector<bool> changed(writes.size(), false);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    if (!outcomes[i].done) continue;
    changed[i] = outcomes[i].changed(writes[i]);
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (outcomes[a].revision != outcomes[b].revision) {
      return outcomes[a].revision < outcomes[b].revision;
    }
    return changed[a] && !changed[b];
  });
  std::map<std::string, KeyState> state;  // ordered: range deletes walk keys in order
  std::int64_t expectedRevision = baseRevision;
  for (std::size_t i : order) {
    const WriteSpec& spec = writes[i];
    const WriteOutcome& out = outcomes[i];
    std::int64_t rev = out.revision;
    if (changed[i]) ++expectedRevision;
    if (rev != expectedRevision) {
      *error = "write " + std::to_string(i) +
               (changed[i] ? " changed the store at revision " : " observed revision ") +
               std::to_string(rev) + ", expected revision " + std::to_string(expectedRevision) +
               " (revisions of the run's writes must be consecutive; another client writing "
               "or a skipped/reused revision breaks this)";
      return false;
    }
    for (std::size_t op = 0; op < spec.ops.size(); ++op) {
      const WriteOp& w = spec.ops[op];
      if (w.kind == WriteOp::Kind::kPut) {
        ModelEvent ev{rev, w.key, false, 0, false, 0, i};
        KeyState next{rev, rev, 1, w.value};
        auto it = state.find(w.key);
        if (it != state.end()) {
          ev.hasPrev = true;
          ev.prevDigest = digestOf(w.key, it->second);
          next.createRevision = it->second.createRevision;
          next.version = it->second.version + 1;
        }
        ev.kvDigest = digestOf(w.key, next);
        state[w.key] = next;
        events_.push_back(std::move(ev));
        continue;
      }
      auto first = state.lower_bound(w.key);
      auto last = w.rangeEnd.empty()
                      ? (first != state.end() && first->first == w.key ? std::next(first) : first)
                      : state.lower_bound(w.rangeEnd);
      std::int64_t n = 0;
      for (auto it = first; it != last; ++it, ++n) {
        ModelEvent ev{rev, it->first, true, 0, true, digestOf(it->first, it->second), i};
        ev.kvDigest = kvDigest(it->first, 0, rev, 0, "", 0);
        events_.push_back(std::move(ev));
      }
      state.erase(first, last);
      if (n != out.deleted[op]) {
        *error = "write " + std::to_string(i) + " op " + std::to_string(op) + " (delete " + w.key +
                 (w.rangeEnd.empty() ? "" : " .. " + w.rangeEnd) + ") at revision " +
                 std::to_string(rev) + ": server deleted " + std::to_string(out.deleted[op]) +
                 " keys, the model " + std::to_string(n);
        return false;
      }
    }
  }
  return true;
}

}  // namespace cairn::bench
