// NullTransport: the transport of a member that is the only voter. It has no
// peers, so there is nothing to receive, and raft addresses no message to a
// peer that does not exist; anything handed to send() is dropped.
#pragma once

#include "transport.h"

namespace cairn::transport {

class NullTransport final : public Transport {
 public:
  Status start(Deliver /*deliver*/, Feedback /*feedback*/) override { return Status::ok(); }
  void send(std::vector<raftpb::Message>&& /*messages*/) override {}
  void addPeer(uint64_t /*id*/, const std::vector<std::string>& /*peerUrls*/) override {}
  void removePeer(uint64_t /*id*/) override {}
  void stop() override {}
};

}  // namespace cairn::transport
