#include "outbound_queue.h"

#include "frame_codec.h"

namespace cairn::transport {

bool OutboundQueue::push(raftpb::Message&& m) {
  if (queue_.size() >= maxMessages_) return false;
  queue_.push_back(std::move(m));
  return true;
}

std::size_t OutboundQueue::takeBatch(std::size_t maxBatchBytes, std::string* out) {
  std::size_t taken = 0;
  while (!queue_.empty() && (taken == 0 || out->size() < maxBatchBytes)) {
    appendFrame(queue_.front(), out);
    queue_.pop_front();
    ++taken;
  }
  return taken;
}

std::size_t OutboundQueue::clear() {
  const std::size_t n = queue_.size();
  queue_.clear();
  return n;
}

}  // namespace cairn::transport
