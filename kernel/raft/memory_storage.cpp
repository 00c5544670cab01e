#include "raft/memory_storage.h"

#include <iterator>

#include "raft/errors.h"
#include "raft/raft_log.h"

namespace cairn::raft {

MemoryStorage::MemoryStorage() : ents_(1) {}

uint64_t MemoryStorage::firstIndexLocked() const {
  return ents_[0].index() + 1;
}
uint64_t MemoryStorage::lastIndexLocked() const {
  return ents_[0].index() + ents_.size() - 1;
}

Status MemoryStorage::initialState(raftpb::HardState* hs, raftpb::ConfState* cs) {
  std::lock_guard<std::mutex> lock(mu_);
  *hs = hardState_;
  *cs = snapshot_.metadata().conf_state();
  return Status::ok();
}

Status MemoryStorage::entries(uint64_t lo, uint64_t hi, uint64_t maxSize,
                              std::vector<raftpb::Entry>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  uint64_t offset = ents_[0].index();
  if (lo <= offset) return errCompacted();
  if (hi > lastIndexLocked() + 1) {
    return Status(StatusCode::InvalidArgument, "entries' hi(" + std::to_string(hi) +
                                                   ") is out of bound lastindex(" +
                                                   std::to_string(lastIndexLocked()) + ")");
  }
  // Only the dummy entry is left.
  if (ents_.size() == 1) return errUnavailable();
  const std::size_t first = lo - offset;
  std::size_t count = hi - lo;
  if (maxSize != kNoLimit) count = countWithinSize(ents_.data() + first, count, maxSize);
  out->assign(ents_.begin() + static_cast<ptrdiff_t>(first),
              ents_.begin() + static_cast<ptrdiff_t>(first + count));
  return Status::ok();
}

Status MemoryStorage::term(uint64_t i, uint64_t* out) {
  std::lock_guard<std::mutex> lock(mu_);
  *out = 0;
  uint64_t offset = ents_[0].index();
  if (i < offset) return errCompacted();
  if (i - offset >= ents_.size()) return errUnavailable();
  *out = ents_[i - offset].term();
  return Status::ok();
}

uint64_t MemoryStorage::firstIndex() {
  std::lock_guard<std::mutex> lock(mu_);
  return firstIndexLocked();
}

uint64_t MemoryStorage::lastIndex() {
  std::lock_guard<std::mutex> lock(mu_);
  return lastIndexLocked();
}

Status MemoryStorage::snapshot(raftpb::Snapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  *out = snapshot_;
  return Status::ok();
}

void MemoryStorage::setHardState(const raftpb::HardState& hs) {
  std::lock_guard<std::mutex> lock(mu_);
  hardState_ = hs;
}

raftpb::HardState MemoryStorage::hardState() {
  std::lock_guard<std::mutex> lock(mu_);
  return hardState_;
}

Status MemoryStorage::applySnapshot(const raftpb::Snapshot& snap) {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_.metadata().index() >= snap.metadata().index()) return errSnapOutOfDate();
  snapshot_ = snap;
  ents_.assign(1, raftpb::Entry());
  ents_[0].set_index(snap.metadata().index());
  ents_[0].set_term(snap.metadata().term());
  return Status::ok();
}

Status MemoryStorage::createSnapshot(uint64_t index, const raftpb::ConfState* cs,
                                     const std::string& data, raftpb::Snapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index <= snapshot_.metadata().index()) return errSnapOutOfDate();
  uint64_t offset = ents_[0].index();
  if (index > lastIndexLocked()) {
    return Status(StatusCode::InvalidArgument, "snapshot " + std::to_string(index) +
                                                   " is out of bound lastindex(" +
                                                   std::to_string(lastIndexLocked()) + ")");
  }
  auto* md = snapshot_.mutable_metadata();
  md->set_index(index);
  md->set_term(ents_[index - offset].term());
  if (cs != nullptr) *md->mutable_conf_state() = *cs;
  snapshot_.set_data(data);
  if (out != nullptr) *out = snapshot_;
  return Status::ok();
}

Status MemoryStorage::compact(uint64_t compactIndex) {
  // The discarded prefix (up to --snapshot-count entries and their payloads)
  // is freed after the lock is released: raft's thread appends under it.
  std::vector<raftpb::Entry> discarded;
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t offset = ents_[0].index();
  if (compactIndex <= offset) return errCompacted();
  if (compactIndex > lastIndexLocked()) {
    return Status(StatusCode::InvalidArgument, "compact " + std::to_string(compactIndex) +
                                                   " is out of bound lastindex(" +
                                                   std::to_string(lastIndexLocked()) + ")");
  }
  uint64_t i = compactIndex - offset;
  std::vector<raftpb::Entry> kept;
  kept.reserve(ents_.size() - i);
  kept.emplace_back();
  kept[0].set_index(ents_[i].index());
  kept[0].set_term(ents_[i].term());
  kept.insert(kept.end(), std::make_move_iterator(ents_.begin() + static_cast<ptrdiff_t>(i + 1)),
              std::make_move_iterator(ents_.end()));
  ents_.swap(kept);
  discarded.swap(kept);
  return Status::ok();
}

Status MemoryStorage::prepareAppend(const std::vector<raftpb::Entry>& entries, std::size_t* skip) {
  *skip = entries.size();
  if (entries.empty()) return Status::ok();
  uint64_t first = firstIndexLocked();
  uint64_t last = entries.front().index() + entries.size() - 1;
  // Everything already compacted away: nothing to add.
  if (last < first) return Status::ok();
  // Drop the part of entries that is already compacted.
  *skip = first > entries.front().index() ? first - entries.front().index() : 0;
  uint64_t startIndex = entries[*skip].index();
  uint64_t offset = startIndex - ents_[0].index();
  if (offset > ents_.size()) {
    *skip = entries.size();
    return Status(StatusCode::InvalidArgument,
                  "missing log entry [last: " + std::to_string(lastIndexLocked()) +
                      ", append at: " + std::to_string(startIndex) + "]");
  }
  ents_.resize(offset);  // truncates a conflicting suffix, if any
  return Status::ok();
}

Status MemoryStorage::append(const std::vector<raftpb::Entry>& entries) {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t skip = 0;
  Status s = prepareAppend(entries, &skip);
  ents_.insert(ents_.end(), entries.begin() + static_cast<ptrdiff_t>(skip), entries.end());
  return s;
}

Status MemoryStorage::append(std::vector<raftpb::Entry>&& entries) {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t skip = 0;
  Status s = prepareAppend(entries, &skip);
  ents_.insert(ents_.end(), std::make_move_iterator(entries.begin() + static_cast<ptrdiff_t>(skip)),
               std::make_move_iterator(entries.end()));
  entries.clear();
  return s;
}

}  // namespace cairn::raft
