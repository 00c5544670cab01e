// Transport: how raft messages leave and reach this member.
//
// The raft node hands the transport the messages of each Ready after they
// were persisted, and the transport hands every message a peer sent to the
// `deliver` function it was started with (the raft node's step queue). What
// the transport learns about a peer that raft must know (unreachable, a
// snapshot that could not be sent) goes to the Feedback callbacks, which the
// raft node turns into RawNode::reportUnreachable / reportSnapshot (local
// messages raft refuses from the network). TcpTransport is the cluster's;
// NullTransport stands in until the member made its own.
//
// Snapshots (MsgSnap) travel with the backend's state: the leader's
// transport streams SnapshotIo::exportState after the raft snapshot, and the
// follower's writes it, verified, to the state file of that snapshot
// (snapshot_file.h) under SnapshotIo::dir before it delivers the MsgSnap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"

namespace cairn::transport {

// What a transport needs to carry snapshots (set before start()).
struct SnapshotIo {
  // Leader: streams a consistent copy of the backend's current state in
  // chunks to `sink` (Backend::exportState); called on a sender's thread.
  std::function<Status(const std::function<Status(std::string_view chunk)>& sink)> exportState;
  // Follower: the directory receiving snapshot state files (member/snap).
  std::string dir;
};

// A member's answer to a forwarded MemberPromote (promote_query.h): it
// promotes `memberId` as its own client's request would be (checks, conf
// change, applied); `done` gets the outcome and, on success, the serialized
// MemberPromoteResponse. Called on any thread; `done` once, on any thread.
using PromoteHandler = std::function<void(
    uint64_t memberId, std::function<void(const Status& status, std::string response)> done)>;

class Transport {
 public:
  // Called from the transport's own threads, once per incoming message.
  using Deliver = std::function<void(raftpb::Message&& message)>;
  // Called from the transport's own threads (or from send()).
  struct Feedback {
    std::function<void(uint64_t peer)> unreachable;
    std::function<void(uint64_t peer, bool failed)> snapshotStatus;
    // A peer said this member was removed from the cluster (optional; may
    // be called more than once; must not block).
    std::function<void()> removed;
  };

  virtual ~Transport() = default;

  // Starts delivering incoming messages to `deliver` (it and `feedback` must
  // stay valid until stop() returns).
  virtual Status start(Deliver deliver, Feedback feedback) = 0;
  // Queues the messages of one Ready for their peers. Called on the raft
  // loop: must not block on the network.
  virtual void send(std::vector<raftpb::Message>&& messages) = 0;
  // Adds (or re-addresses) a peer reachable at `peerUrls`.
  virtual void addPeer(uint64_t id, const std::vector<std::string>& peerUrls) = 0;
  // Forgets a peer; messages to it are dropped from now on.
  virtual void removePeer(uint64_t id) = 0;
  // After it returns, `deliver` is not running and will not run again.
  virtual void stop() = 0;
  // Since when this member has been connected to peer `id` without a break
  // (etcd's ActiveSince): the default time point when it is not connected.
  // Any thread.
  virtual std::chrono::steady_clock::time_point activeSince(uint64_t /*id*/) const { return {}; }
  // How snapshots get their backend state out and in; a transport without
  // it (NullTransport: no peers) never sees a MsgSnap. Before start().
  virtual void setSnapshotIo(SnapshotIo /*io*/) {}
  // Who answers the MemberPromote requests peers forward to this member
  // (the leader's job); none: they are refused. Before start().
  virtual void setPromoteHandler(PromoteHandler /*handler*/) {}
  // Forwards a MemberPromote of `memberId` to peer `peer` at `url` (one of
  // its peer URLs) and waits up to `timeout`: ok with the serialized
  // MemberPromoteResponse, the peer's own error (a cairn::Error such as
  // LearnerNotReady or NotLeader), or Unavailable when it could not be
  // asked. Blocking; any thread but the transport's.
  virtual Status askPromote(uint64_t /*peer*/, const std::string& url, uint64_t /*memberId*/,
                            std::chrono::milliseconds /*timeout*/, std::string* /*response*/) {
    return Status(StatusCode::Unavailable, url + ": no peer transport");
  }
};

}  // namespace cairn::transport
