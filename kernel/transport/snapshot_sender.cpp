#include "snapshot_sender.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "cairn/storage_stream.h"
#include "frame_codec.h"
#include "peer_ids.h"
#include "snapshot_wire.h"

namespace cairn::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace snapshot_wire;
constexpr const char* kCaller = "rafthttp/snapshot_sender.go";

// Runs `io` until `done`, `timeout` passed or `cancelled` (checked every
// 50 ms, so that stopping the transport does not wait for a handshake).
void runUntil(asio::io_context& io, const bool& done, std::chrono::milliseconds timeout,
              const std::atomic<bool>& cancelled) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done && !cancelled && !io.stopped()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    io.run_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

// Connects to `url` and, for https://, completes the TLS handshake and the
// checks of the listener's certificate, within the timeouts; a channel, or
// null and why not.
std::unique_ptr<SnapshotChannel> connectTo(const Url& url, const PeerTls* tls,
                                           const SnapshotSendOptions& options,
                                           const std::atomic<bool>& cancelled, std::string* why) {
  const bool secure = url.scheme == "https";
  if (secure && tls == nullptr) {
    *why = "no TLS configuration for an https:// peer URL";
    return nullptr;
  }
  asio::io_context io;
  tcp::resolver resolver(io);
  const std::string host = url.host.empty() || url.host == "localhost" ? "127.0.0.1" : url.host;
  std::unique_ptr<PeerSocket> socket = secure ? tls->dialSocket(tcp::socket(io), host)
                                              : std::make_unique<PeerSocket>(tcp::socket(io));
  bool connected = false;
  *why = "i/o timeout";
  resolver.async_resolve(
      host, std::to_string(url.port),
      [&](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) {
          *why = ec.message();
          return;
        }
        asio::async_connect(socket->tcp(), results,
                            [&](const boost::system::error_code& cec, const tcp::endpoint&) {
                              if (cec) {
                                *why = cec.message();
                                return;
                              }
                              connected = true;
                            });
      });
  runUntil(io, connected, options.dialTimeout, cancelled);
  if (!connected) return nullptr;
  boost::system::error_code ignored;
  socket->tcp().set_option(tcp::no_delay(true), ignored);
  bool handshaken = false;
  *why = "TLS handshake: i/o timeout";
  io.restart();
  socket->handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& ec) {
    if (ec) {
      *why = PeerTls::handshakeError(*socket, ec);
      return;
    }
    if (socket->secure()) {
      if (Status bad = tls->checkOtherSide(*socket->tls(), false, host); !bad) {
        *why = bad.message();
        return;
      }
    }
    handshaken = true;
  });
  runUntil(io, handshaken, options.ioTimeout, cancelled);
  if (!handshaken) return nullptr;
  std::unique_ptr<SnapshotChannel> channel;
  if (Status st = SnapshotChannel::adopt(*socket, &channel); !st) {
    *why = st.message();
    return nullptr;
  }
  return channel;
}

}  // namespace

SnapshotSender::SnapshotSender(Logger& logger, Hello hello, std::vector<Url> urls,
                               raftpb::Message message, SnapshotIo io, SnapshotSendOptions options,
                               const PeerTls* tls)
    : logger_(logger),
      hello_(hello),
      urls_(std::move(urls)),
      message_(std::move(message)),
      io_(std::move(io)),
      options_(options),
      tls_(tls) {
  // The backend's state stands in for the snapshot's data (which the memory
  // backend fills with its whole state): it is not sent twice.
  message_.mutable_snapshot()->clear_data();
}

SnapshotSender::~SnapshotSender() = default;

void SnapshotSender::cancel() {
  cancelled_ = true;
  std::lock_guard lk(channelMu_);
  if (channel_) channel_->shutdown();
}

Status SnapshotSender::dial() {
  std::string why = "no peer URL";
  for (const Url& url : urls_) {
    if (cancelled_) break;
    std::unique_ptr<SnapshotChannel> channel = connectTo(url, tls_, options_, cancelled_, &why);
    if (!channel) continue;
    channel->setTimeouts(options_.ioTimeout);
    std::lock_guard lk(channelMu_);
    channel_ = std::move(channel);
    if (cancelled_) channel_->shutdown();
    return Status::ok();
  }
  if (cancelled_) return Status(StatusCode::Cancelled, "transport stopped");
  return Status(StatusCode::Unavailable, "dial: " + why);
}

Status SnapshotSender::stream() {
  SnapshotChannel& c = *channel_;  // set by dial() on this thread, reset by run() after this
  if (Status st = c.writeAll(encodeHello(hello_)); !st) return st;
  char replyBuf[kHelloReplyBytes];
  if (Status st = c.readExact(replyBuf, sizeof replyBuf); !st) return st;
  HelloReply reply;
  if (!decodeHelloReply(std::string_view(replyBuf, sizeof replyBuf), &reply) ||
      reply.status != HelloStatus::Accepted) {
    return Status(StatusCode::FailedPrecondition, "the peer refused the snapshot connection");
  }
  std::string head;
  appendFrame(message_, &head);
  if (Status st = c.writeAll(head); !st) return st;

  storage::StreamCrc crc;
  std::string header;
  Status exported = io_.exportState([&](std::string_view chunk) {
    while (!chunk.empty()) {
      const std::string_view piece = chunk.substr(0, kMaxSnapshotChunk);
      chunk.remove_prefix(piece.size());
      header.clear();
      putBe(&header, piece.size(), 4);
      if (Status st = c.writeAll(header); !st) return st;
      if (Status st = c.writeAll(piece); !st) return st;
      crc.process_bytes(piece.data(), piece.size());
      bytes_ += piece.size();
    }
    return Status::ok();
  });
  if (!exported) return exported;
  std::string end;
  putBe(&end, 0, 4);
  putBe(&end, bytes_, 8);
  putBe(&end, crc.checksum(), 4);
  if (Status st = c.writeAll(end); !st) return st;
  char ack = kSnapshotNack;
  if (Status st = c.readExact(&ack, 1); !st) return st;
  if (ack != kSnapshotAck) {
    return Status(StatusCode::Internal, "the peer failed to save the snapshot");
  }
  return Status::ok();
}

Status SnapshotSender::run() {
  const auto index = static_cast<long long>(message_.snapshot().metadata().index());
  logger_.info(
      kCaller, "sending database snapshot",
      jsonField("snapshot-index", index) + "," + jsonField("remote-peer-id", idHex(hello_.to)));
  Status st =
      io_.exportState ? dial() : Status(StatusCode::FailedPrecondition, "no backend to export");
  if (st) st = stream();
  {
    // Closed at once: a follower waiting for more of a failed stream sees
    // it end now rather than at its read timeout.
    std::lock_guard lk(channelMu_);
    channel_.reset();
  }
  if (!st) {
    logger_.warn(kCaller, "failed to send database snapshot",
                 jsonField("snapshot-index", index) + "," +
                     jsonField("remote-peer-id", idHex(hello_.to)) + "," +
                     jsonField("bytes", static_cast<long long>(bytes_)) + "," +
                     jsonField("error", st.message()));
    return st;
  }
  logger_.info(kCaller, "sent database snapshot",
               jsonField("snapshot-index", index) + "," +
                   jsonField("remote-peer-id", idHex(hello_.to)) + "," +
                   jsonField("bytes", static_cast<long long>(bytes_)));
  return Status::ok();
}

}  // namespace cairn::transport
