// SnapshotReceiver: the follower's end of a snapshot connection (etcd's
// snapshotHandler). The transport hands it the accepted connection (plain or
// TLS, SnapshotChannel) once the hello (lane Snapshot) was answered.
//
// run() reads the MsgSnap, streams the state into its state file
// (SnapshotFileWriter: a chunk in memory at a time), checks length and
// CRC-32C, makes the file durable, and only then delivers the MsgSnap to
// raft and acknowledges; on any failure the scratch file is removed and
// the sender is told (or sees the connection close).
//
// Threads: run() blocks on the receiver's own thread; cancel() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "cairn/logger.h"
#include "hello.h"
#include "snapshot_channel.h"
#include "transport.h"

namespace cairn::transport {

class SnapshotReceiver {
 public:
  SnapshotReceiver(Logger& logger, uint64_t localId, Hello hello,
                   std::unique_ptr<SnapshotChannel> channel, std::string dir,
                   std::size_t maxFrameBytes, std::chrono::milliseconds ioTimeout);
  ~SnapshotReceiver();
  SnapshotReceiver(const SnapshotReceiver&) = delete;
  SnapshotReceiver& operator=(const SnapshotReceiver&) = delete;

  // Receives one snapshot and hands its MsgSnap to `deliver`.
  Status run(const Transport::Deliver& deliver);
  void cancel();

 private:
  Status receive(const Transport::Deliver& deliver);

  Logger& logger_;
  const uint64_t localId_;
  const Hello hello_;
  const std::string dir_;
  const std::size_t maxFrameBytes_;
  // Read and written by run()'s thread; cancel() only shuts it down.
  const std::unique_ptr<SnapshotChannel> channel_;
  uint64_t index_ = 0;  // run()'s thread
};

}  // namespace cairn::transport
