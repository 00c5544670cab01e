// Transport: how raft messages leave and reach this member.
//
// The raft node hands the transport the messages of each Ready after they
// were persisted, and the transport hands every message a peer sent to the
// `deliver` function it was started with (the raft node's step queue). A
// multi-member transport (persistent peer connections, snapshot streaming)
// implements this interface; a single member uses NullTransport.
#pragma once

#include <functional>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"

namespace cairn::transport {

class Transport {
 public:
  // Called from the transport's own threads, once per incoming message.
  using Deliver = std::function<void(raftpb::Message&& message)>;

  virtual ~Transport() = default;

  // Starts delivering incoming messages to `deliver` (it must stay valid
  // until stop() returns).
  virtual Status start(Deliver deliver) = 0;
  // Queues the messages of one Ready for their peers. Called on the raft
  // loop: must not block on the network.
  virtual void send(std::vector<raftpb::Message>&& messages) = 0;
  // After it returns, `deliver` is not running and will not run again.
  virtual void stop() = 0;
};

}  // namespace cairn::transport
