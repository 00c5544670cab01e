#include "raft/read_only.h"

namespace cairn::raft {

void ReadOnly::addRequest(uint64_t index, const raftpb::Message& m) {
  const std::string& ctx = m.entries(0).data();
  if (pending_.count(ctx) != 0) return;
  pending_[ctx] = ReadIndexStatus{m, index, {}};
  queue_.push_back(ctx);
}

const std::set<uint64_t>* ReadOnly::recvAck(uint64_t id, const std::string& ctx) {
  auto it = pending_.find(ctx);
  if (it == pending_.end()) return nullptr;
  it->second.acks.insert(id);
  return &it->second.acks;
}

std::vector<ReadIndexStatus> ReadOnly::advance(const std::string& ctx) {
  std::vector<ReadIndexStatus> out;
  size_t n = 0;
  bool found = false;
  for (const auto& c : queue_) {
    n++;
    if (pending_.count(c) == 0) continue;
    if (c == ctx) {
      found = true;
      break;
    }
  }
  if (!found) return out;
  for (size_t i = 0; i < n; i++) {
    auto it = pending_.find(queue_.front());
    queue_.pop_front();
    if (it == pending_.end()) continue;
    out.push_back(std::move(it->second));
    pending_.erase(it);
  }
  return out;
}

std::string ReadOnly::lastPendingRequestCtx() const {
  if (queue_.empty()) return {};
  return queue_.back();
}

}  // namespace cairn::raft
