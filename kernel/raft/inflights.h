// Inflights: the flow-control window of MsgApp sent to one follower.
// Threads: owned by its Progress, so by the RawNode's thread; no locks.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::raft {

// A ring of the last index of each MsgApp not yet acknowledged. When full the
// leader stops sending to that follower until acknowledgements free slots.
class Inflights {
 public:
  explicit Inflights(int size) : size_(size > 0 ? size : 1) {}

  // Records a MsgApp whose last entry is `inflight` (indexes increase).
  void add(uint64_t inflight);
  // Frees every slot with index <= to.
  void freeLE(uint64_t to);
  void freeFirstOne();
  bool full() const { return count_ == size_; }
  int count() const { return count_; }
  void reset() {
    count_ = 0;
    start_ = 0;
  }

 private:
  int size_;
  int start_ = 0;
  int count_ = 0;
  // Grown lazily up to size_ so idle followers cost little memory.
  std::vector<uint64_t> buffer_;
};

}  // namespace cairn::raft
