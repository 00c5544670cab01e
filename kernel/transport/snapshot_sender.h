// SnapshotSender: sends one raft snapshot and the backend's state to one
// peer on a connection of its own (etcd's snapshotSender), so the appends
// and heartbeats lanes never wait behind it.
//
// run() dials the peer's URLs in turn (an https:// URL over TLS, with the
// certificate checks of every peer connection, PeerTls; nothing is sent in
// plain to it), says hello on the Snapshot lane,
// writes the MsgSnap and then the state as Backend::exportState produces it
// (one chunk in memory at a time; a slow follower slows the export through
// the socket's send buffer), the end mark with the length and CRC-32C, and
// waits for the follower's acknowledgement (snapshot_wire.h). The caller
// reports the result to raft (Feedback::snapshotStatus).
//
// Threads: run() blocks on the thread that owns the sender; cancel() from
// any thread makes it fail soon (the transport stopping).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cairn/settings.h"
#include "hello.h"
#include "peer_tls.h"
#include "snapshot_channel.h"
#include "transport.h"

namespace cairn::transport {

struct SnapshotSendOptions {
  std::chrono::milliseconds dialTimeout{1000};
  // Longest wait for one write or read, the final acknowledgement included
  // (the follower fsyncs the state before answering).
  std::chrono::milliseconds ioTimeout{30000};
};

class SnapshotSender {
 public:
  // `tls`: the transport's, for https:// URLs (null: they cannot be dialed);
  // it outlives the sender.
  SnapshotSender(Logger& logger, Hello hello, std::vector<Url> urls, raftpb::Message message,
                 SnapshotIo io, SnapshotSendOptions options, const PeerTls* tls);
  ~SnapshotSender();
  SnapshotSender(const SnapshotSender&) = delete;
  SnapshotSender& operator=(const SnapshotSender&) = delete;

  // Sends it; ok once the follower acknowledged. Logs etcd's lines.
  Status run();
  void cancel();
  uint64_t to() const { return hello_.to; }
  uint64_t stateBytes() const { return bytes_; }

 private:
  Status dial();
  Status stream();

  Logger& logger_;
  const Hello hello_;
  const std::vector<Url> urls_;
  raftpb::Message message_;
  const SnapshotIo io_;
  const SnapshotSendOptions options_;
  const PeerTls* const tls_;
  std::mutex channelMu_;
  // Set and reset under channelMu_ by run()'s thread, which alone reads and
  // writes it; cancel() shuts it down under channelMu_.
  std::unique_ptr<SnapshotChannel> channel_;
  std::atomic<bool> cancelled_{false};
  uint64_t bytes_ = 0;  // run()'s thread
};

}  // namespace cairn::transport
