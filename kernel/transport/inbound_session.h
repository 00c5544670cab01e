// InboundSession: one connection a peer dialed to this member.
//
// On a TLS listener first completes the TLS handshake and the checks of the
// dialer's certificate (PeerTls::checkOtherSide); a failure is logged as
// etcd logs it ("rejected connection") and ends the session. Then reads the
// peer's hello, asks the transport whether to accept it (same
// cluster, addressed to this member, from a known member), answers, and
// then decodes frames and delivers every message to raft. The session ends
// when the peer closes the connection, sends something that is not a
// frame, or the transport stops.
//
// Threads: the transport's io thread only.
#pragma once

#include <array>
#include <functional>
#include <memory>

#include "cairn/logger.h"
#include "frame_codec.h"
#include "hello.h"
#include "peer_socket.h"
#include "peer_tls.h"
#include "snapshot_channel.h"
#include "transport.h"

namespace cairn::transport {

class InboundSession : public std::enable_shared_from_this<InboundSession> {
 public:
  using Accept = std::function<HelloReply(const Hello& hello)>;
  using Ended = std::function<void(InboundSession* session)>;

  // `tls`: the transport's, for a TLS socket (null for a plain one).
  InboundSession(PeerSocket socket, const PeerTls* tls, Logger& logger, std::size_t maxFrameBytes,
                 Accept accept, const Transport::Deliver& deliver, Ended ended);

  void start();
  void close();
  // The member that dialed, once its hello was read (0 before). Io thread.
  uint64_t peerId() const { return hello_.from; }
  // Who takes an accepted connection on the Snapshot lane, as a blocking
  // channel (TLS on a TLS listener); the session ends once it handed the
  // connection over. Set before start().
  using SnapshotConnection = std::function<void(const Hello&, std::unique_ptr<SnapshotChannel>)>;
  void onSnapshotConnection(SnapshotConnection f) { snapshotConnection_ = std::move(f); }

 private:
  void handshaken();
  void rejected(const std::string& why);
  void readHello();
  void readFrames();
  // A peer query (inbound_query.cpp): one request frame, one answer, end.
  void readQuery(
      std::function<void(const raftpb::Message&, std::function<void(raftpb::Message&&)>)> serve);
  void handOffSnapshotConnection();
  void end();

  PeerSocket socket_;
  const PeerTls* tls_;
  Logger& logger_;
  FrameDecoder decoder_;
  const Accept accept_;
  const Transport::Deliver& deliver_;  // the transport's; outlives every session
  const Ended ended_;
  SnapshotConnection snapshotConnection_;
  Hello hello_;  // the accepted hello (io thread)
  bool ended_called_ = false;
  std::array<char, kHelloBytes> helloBuf_{};
  std::string replyBuf_;
  std::array<char, 64 * 1024> readBuf_{};
};

}  // namespace cairn::transport
