// SnapshotSender: sends one raft snapshot and the backend's state to one
// peer on a connection of its own (etcd's snapshotSender), so the appends
// and heartbeats lanes never wait behind it.
//
// run() dials the peer's URLs in turn, says hello on the Snapshot lane,
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
  SnapshotSender(Logger& logger, Hello hello, std::vector<Url> urls, raftpb::Message message,
                 SnapshotIo io, SnapshotSendOptions options);
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
  std::mutex fdMu_;
  int fd_ = -1;  // written under fdMu_ by run()'s thread; cancel() shuts it down
  std::atomic<bool> cancelled_{false};
  uint64_t bytes_ = 0;  // run()'s thread
};

}  // namespace cairn::transport
