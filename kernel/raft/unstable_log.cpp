#include "raft/unstable_log.h"

#include "raft/errors.h"

namespace cairn::raft {

std::optional<uint64_t> UnstableLog::maybeFirstIndex() const {
  if (snapshot) return snapshot->metadata().index() + 1;
  return std::nullopt;
}

std::optional<uint64_t> UnstableLog::maybeLastIndex() const {
  if (!entries.empty()) return offset + entries.size() - 1;
  if (snapshot) return snapshot->metadata().index();
  return std::nullopt;
}

std::optional<uint64_t> UnstableLog::maybeTerm(uint64_t i) const {
  if (i < offset) {
    if (snapshot && snapshot->metadata().index() == i) return snapshot->metadata().term();
    return std::nullopt;
  }
  auto last = maybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  return entries[i - offset].term();
}

void UnstableLog::stableTo(uint64_t i, uint64_t t) {
  auto gt = maybeTerm(i);
  if (!gt) return;
  // Only if the persisted entry is still ours: a newer leader may have
  // replaced it while the application was writing.
  if (*gt == t && i >= offset) {
    entries.erase(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(i + 1 - offset));
    offset = i + 1;
  }
}

void UnstableLog::stableSnapTo(uint64_t i) {
  if (snapshot && snapshot->metadata().index() == i) snapshot.reset();
}

void UnstableLog::restore(const raftpb::Snapshot& s) {
  offset = s.metadata().index() + 1;
  entries.clear();
  snapshot = s;
}

void UnstableLog::truncateAndAppend(std::vector<raftpb::Entry>&& ents) {
  uint64_t after = ents.front().index();
  if (after == offset + entries.size()) {
    entries.insert(entries.end(), std::make_move_iterator(ents.begin()),
                   std::make_move_iterator(ents.end()));
  } else if (after <= offset) {
    // Replaces everything unstable.
    offset = after;
    entries = std::move(ents);
  } else {
    entries.resize(after - offset);
    entries.insert(entries.end(), std::make_move_iterator(ents.begin()),
                   std::make_move_iterator(ents.end()));
  }
}

void UnstableLog::appendSlice(uint64_t lo, uint64_t hi, std::vector<raftpb::Entry>* out) const {
  uint64_t upper = offset + entries.size();
  if (lo > hi || lo < offset || hi > upper) {
    fatal("unstable slice [" + std::to_string(lo) + "," + std::to_string(hi) + ") out of bound [" +
          std::to_string(offset) + "," + std::to_string(upper) + "]");
  }
  out->insert(out->end(), entries.begin() + static_cast<ptrdiff_t>(lo - offset),
              entries.begin() + static_cast<ptrdiff_t>(hi - offset));
}

}  // namespace cairn::raft
