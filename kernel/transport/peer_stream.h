// PeerStream: one outgoing connection to one peer for one lane.
//
// Dials the peer (its URLs in turn; TLS for an https:// URL, with the
// transport's PeerTls, checking the listener's certificate), says hello, waits for the answer and
// then writes whatever is queued, many messages per write (OutboundQueue).
// The connection is write-only after the hello; a pending one-byte read
// notices the peer closing it. Any failure drops what is queued, tells raft
// the peer is unreachable (its leader then probes instead of streaming) and
// dials again after a backoff (50 ms doubling to 1 s by default).
//
// Threads: everything runs on the transport's io thread; the object is
// shared with its pending handlers, which check `generation_` so that a
// callback of an abandoned connection does nothing. Each connection is a
// new PeerSocket (a TLS stream cannot be reused), kept alive by the
// handlers of its pending operations.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backoff.h"
#include "cairn/logger.h"
#include "cairn/settings.h"
#include "hello.h"
#include "outbound_queue.h"
#include "peer_metrics.h"
#include "peer_socket.h"
#include "peer_tls.h"

namespace cairn::transport {

struct StreamLimits {
  std::size_t maxQueuedMessages = 4096;
  std::size_t maxBatchBytes = 256 * 1024;
  std::chrono::milliseconds dialTimeout{1000};
  std::chrono::milliseconds backoffMin{50};
  std::chrono::milliseconds backoffMax{1000};
};

class PeerStream : public std::enable_shared_from_this<PeerStream> {
 public:
  PeerStream(boost::asio::io_context& io, Logger& logger, Hello hello, std::vector<Url> urls,
             StreamLimits limits, std::function<void()> unreachable);

  // Starts dialing.
  void start();
  void enqueue(raftpb::Message&& m);
  void setUrls(std::vector<Url> urls) { urls_ = std::move(urls); }
  // Counts this lane's traffic and connection state (null: nothing kept).
  void setMetrics(PeerMetrics* metrics) { metrics_ = metrics; }
  // TLS for https:// URLs (null: those URLs cannot be dialed); set before start().
  void setTls(const PeerTls* tls) { tls_ = tls; }
  // Called (on the io thread) when the peer answers that this member was
  // removed from the cluster; set before start().
  void setOnRemoved(std::function<void()> fn) { onRemoved_ = std::move(fn); }
  // For good: no more dials, queued messages dropped.
  void close();
  bool connected() const { return state_ == State::Connected; }
  // When the current connection was accepted by the peer (default: none).
  std::chrono::steady_clock::time_point connectedSince() const {
    return connected() ? connectedSince_ : std::chrono::steady_clock::time_point{};
  }

 private:
  enum class State { Idle, Dialing, Handshaking, Connected, Waiting, Closed };

  void dial();
  void onTcpConnected(uint64_t generation, const std::string& host);
  void onConnected(uint64_t generation);
  void writeMore();
  void failed(uint64_t generation, const std::string& why);

  boost::asio::io_context& io_;
  Logger& logger_;
  const Hello hello_;
  std::vector<Url> urls_;
  const StreamLimits limits_;
  const std::function<void()> unreachable_;

  OutboundQueue queue_;
  Backoff backoff_;
  boost::asio::ip::tcp::resolver resolver_;
  std::shared_ptr<PeerSocket> socket_;  // the current connection's
  boost::asio::steady_timer timer_;     // dial deadline, then the backoff wait
  State state_ = State::Idle;
  uint64_t generation_ = 0;  // bumped for every connection attempt
  std::size_t nextUrl_ = 0;
  bool writing_ = false;
  bool reportedDown_ = false;  // logged once per outage
  std::string writeBuf_;
  std::string helloBuf_;
  std::array<char, kHelloReplyBytes> replyBuf_{};
  char probe_ = 0;
  std::chrono::steady_clock::time_point
      connectedSince_;               // the pending read that notices a closed connection
  PeerMetrics* metrics_ = nullptr;   // set before start(); thread-safe
  const PeerTls* tls_ = nullptr;     // set before start(); immutable
  std::function<void()> onRemoved_;  // set before start(); io thread
};

}  // namespace cairn::transport
