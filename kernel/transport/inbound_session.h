// InboundSession: one connection a peer dialed to this member.
//
// Reads the peer's hello, asks the transport whether to accept it (same
// cluster, addressed to this member, from a known member), answers, and
// then decodes frames and delivers every message to raft. The session ends
// when the peer closes the connection, sends something that is not a
// frame, or the transport stops.
//
// Threads: the transport's io thread only.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>

#include "frame_codec.h"
#include "hello.h"
#include "transport.h"

namespace cairn::transport {

class InboundSession : public std::enable_shared_from_this<InboundSession> {
 public:
  using Accept = std::function<HelloReply(const Hello& hello)>;
  using Ended = std::function<void(InboundSession* session)>;

  InboundSession(boost::asio::ip::tcp::socket socket, std::size_t maxFrameBytes, Accept accept,
                 const Transport::Deliver& deliver, Ended ended);

  void start();
  void close();
  // Who takes an accepted connection on the Snapshot lane (the session
  // ends once it handed the socket over). Set before start().
  void onSnapshotConnection(std::function<void(const Hello&, boost::asio::ip::tcp::socket&&)> f) {
    snapshotConnection_ = std::move(f);
  }

 private:
  void readFrames();
  void handOffSnapshotConnection();
  void end();

  boost::asio::ip::tcp::socket socket_;
  FrameDecoder decoder_;
  const Accept accept_;
  const Transport::Deliver& deliver_;  // the transport's; outlives every session
  const Ended ended_;
  std::function<void(const Hello&, boost::asio::ip::tcp::socket&&)> snapshotConnection_;
  Hello hello_;  // the accepted hello
  bool ended_called_ = false;
  std::array<char, kHelloBytes> helloBuf_{};
  std::string replyBuf_;
  std::array<char, 64 * 1024> readBuf_{};
};

}  // namespace cairn::transport
