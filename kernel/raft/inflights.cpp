#include "raft/inflights.h"

#include "raft/errors.h"

namespace cairn::raft {

void Inflights::add(uint64_t inflight) {
  if (full()) fatal("cannot add into a full inflights window");
  int next = start_ + count_;
  if (next >= size_) next -= size_;
  if (next >= static_cast<int>(buffer_.size())) {
    // Grow by doubling, capped at size_; only happens before the ring wraps.
    size_t n = buffer_.empty() ? 1 : buffer_.size() * 2;
    if (n > static_cast<size_t>(size_)) n = size_;
    buffer_.resize(n);
  }
  buffer_[next] = inflight;
  count_++;
}

void Inflights::freeLE(uint64_t to) {
  if (count_ == 0 || to < buffer_[start_]) return;
  int idx = start_;
  int i = 0;
  for (; i < count_; i++) {
    if (to < buffer_[idx]) break;
    idx++;
    if (idx >= size_) idx -= size_;
  }
  count_ -= i;
  start_ = idx;
  if (count_ == 0) start_ = 0;
}

void Inflights::freeFirstOne() {
  if (count_ == 0) return;
  freeLE(buffer_[start_]);
}

}  // namespace cairn::raft
