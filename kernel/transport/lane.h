// Lane: which of the two connections to a peer carries a message.
//
// Appends and snapshots can be large; heartbeats, votes and their answers
// are tiny and time-critical (a heartbeat stuck behind a megabyte append can
// cost an election). Each peer therefore gets two connections, as etcd keeps
// a separate stream for MsgApp: everything but appends, snapshots and
// forwarded proposals travels on the priority lane. Raft tolerates the
// reordering between lanes; within a lane order is kept.
#pragma once

#include <cstdint>

#include "cairn/raftpb.pb.h"

namespace cairn::transport {

// Snapshot is not a persistent lane: a connection of its own per snapshot
// sent (SnapshotSender), named by its hello.
enum class Lane : uint8_t { Bulk = 0, Priority = 1, Snapshot = 2 };
inline constexpr int kLaneCount = 2;  // the persistent lanes

inline Lane laneOf(const raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_APP:
    case raftpb::MSG_SNAP:
    case raftpb::MSG_PROP:
      return Lane::Bulk;
    default:
      return Lane::Priority;
  }
}

}  // namespace cairn::transport
