// OutboundQueue: the messages waiting for one peer connection, and how they
// are batched into socket writes.
//
// Bounded by message count: when raft produces faster than the peer drains
// (or the peer is gone), push() refuses and the caller reports the peer
// unreachable, which sends raft's leader into probing instead of piling up
// appends (etcd's stream buffer behaves the same way). takeBatch() moves as
// many queued messages as fit in about `maxBatchBytes` (always at least
// one) into one buffer of frames, so one write carries many messages.
//
// Not thread-safe: owned by one PeerStream on the transport's io thread.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

#include "cairn/raftpb.pb.h"

namespace cairn::transport {

class OutboundQueue {
 public:
  explicit OutboundQueue(std::size_t maxMessages) : maxMessages_(maxMessages) {}

  // False (and `m` is dropped) when the queue is full.
  bool push(raftpb::Message&& m);
  // Appends frames of queued messages to `out` until it holds at least
  // `maxBatchBytes` or the queue is empty; returns how many were taken.
  std::size_t takeBatch(std::size_t maxBatchBytes, std::string* out);
  // Drops everything queued; returns how many messages that was.
  std::size_t clear();

  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }

 private:
  const std::size_t maxMessages_;
  std::deque<raftpb::Message> queue_;
};

}  // namespace cairn::transport
