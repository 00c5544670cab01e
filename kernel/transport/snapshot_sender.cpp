#include "snapshot_sender.h"

#include <sys/socket.h>
#include <unistd.h>

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

// Connects to `url` within `timeout`; a blocking descriptor, or -1.
int connectTo(const Url& url, std::chrono::milliseconds timeout, std::string* why) {
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);
  const std::string host = url.host.empty() || url.host == "localhost" ? "127.0.0.1" : url.host;
  bool connected = false;
  *why = "i/o timeout";
  resolver.async_resolve(
      host, std::to_string(url.port),
      [&](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) {
          *why = ec.message();
          return;
        }
        asio::async_connect(socket, results,
                            [&](const boost::system::error_code& cec, const tcp::endpoint&) {
                              if (cec) {
                                *why = cec.message();
                                return;
                              }
                              connected = true;
                            });
      });
  io.run_for(timeout);
  if (!connected) return -1;
  boost::system::error_code ec;
  socket.native_non_blocking(false, ec);
  socket.set_option(tcp::no_delay(true), ec);
  return socket.release();
}

}  // namespace

SnapshotSender::SnapshotSender(Logger& logger, Hello hello, std::vector<Url> urls,
                               raftpb::Message message, SnapshotIo io, SnapshotSendOptions options)
    : logger_(logger),
      hello_(hello),
      urls_(std::move(urls)),
      message_(std::move(message)),
      io_(std::move(io)),
      options_(options) {
  // The backend's state stands in for the snapshot's data (which the memory
  // backend fills with its whole state): it is not sent twice.
  message_.mutable_snapshot()->clear_data();
}

SnapshotSender::~SnapshotSender() {
  std::lock_guard lk(fdMu_);
  if (fd_ >= 0) ::close(fd_);
}

void SnapshotSender::cancel() {
  cancelled_ = true;
  std::lock_guard lk(fdMu_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Status SnapshotSender::dial() {
  std::string why = "no peer URL";
  for (const Url& url : urls_) {
    if (cancelled_) break;
    const int fd = connectTo(url, options_.dialTimeout, &why);
    if (fd < 0) continue;
    setTimeouts(fd, options_.ioTimeout);
    std::lock_guard lk(fdMu_);
    fd_ = fd;
    if (cancelled_) ::shutdown(fd_, SHUT_RDWR);
    return Status::ok();
  }
  if (cancelled_) return Status(StatusCode::Cancelled, "transport stopped");
  return Status(StatusCode::Unavailable, "dial: " + why);
}

Status SnapshotSender::stream() {
  const int fd = fd_;  // set by dial() on this thread, closed by run() after this
  if (Status st = writeAll(fd, encodeHello(hello_)); !st) return st;
  char replyBuf[kHelloReplyBytes];
  if (Status st = readExact(fd, replyBuf, sizeof replyBuf); !st) return st;
  HelloReply reply;
  if (!decodeHelloReply(std::string_view(replyBuf, sizeof replyBuf), &reply) ||
      reply.status != HelloStatus::Accepted) {
    return Status(StatusCode::FailedPrecondition, "the peer refused the snapshot connection");
  }
  std::string head;
  appendFrame(message_, &head);
  if (Status st = writeAll(fd, head); !st) return st;

  storage::StreamCrc crc;
  std::string header;
  Status exported = io_.exportState([&](std::string_view chunk) {
    while (!chunk.empty()) {
      const std::string_view piece = chunk.substr(0, kMaxSnapshotChunk);
      chunk.remove_prefix(piece.size());
      header.clear();
      putBe(&header, piece.size(), 4);
      if (Status st = writeAll(fd, header); !st) return st;
      if (Status st = writeAll(fd, piece); !st) return st;
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
  if (Status st = writeAll(fd, end); !st) return st;
  char ack = kSnapshotNack;
  if (Status st = readExact(fd, &ack, 1); !st) return st;
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
    std::lock_guard lk(fdMu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
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
