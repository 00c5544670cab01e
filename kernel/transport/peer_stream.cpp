#include "peer_stream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>

#include "peer_ids.h"

namespace cairn::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr const char* kCaller = "rafthttp/peer.go";

const char* laneName(Lane lane) {
  return lane == Lane::Priority ? "stream Message" : "stream MsgApp v2";
}

}  // namespace

PeerStream::PeerStream(asio::io_context& io, Logger& logger, Hello hello, std::vector<Url> urls,
                       StreamLimits limits, std::function<void()> unreachable)
    : io_(io),
      logger_(logger),
      hello_(hello),
      urls_(std::move(urls)),
      limits_(limits),
      unreachable_(std::move(unreachable)),
      queue_(limits.maxQueuedMessages),
      backoff_(limits.backoffMin, limits.backoffMax),
      resolver_(io),
      socket_(std::make_shared<PeerSocket>(tcp::socket(io))),
      timer_(io) {}

void PeerStream::start() {
  if (state_ == State::Idle) dial();
}

void PeerStream::enqueue(raftpb::Message&& m) {
  if (state_ == State::Closed) return;
  if (!queue_.push(std::move(m))) {
    // The peer does not keep up (or is gone): raft must slow down.
    if (metrics_ != nullptr) metrics_->sendFailed(hello_.to);
    unreachable_();
    return;
  }
  writeMore();
}

void PeerStream::close() {
  state_ = State::Closed;
  ++generation_;
  queue_.clear();
  boost::system::error_code ec;
  resolver_.cancel();
  timer_.cancel();
  socket_->close();
}

void PeerStream::dial() {
  if (state_ == State::Closed) return;
  if (urls_.empty()) {
    failed(generation_, "no peer URL");
    return;
  }
  state_ = State::Dialing;
  const uint64_t gen = ++generation_;
  const Url& url = urls_[nextUrl_++ % urls_.size()];
  const std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  if (url.scheme == "https") {
    if (tls_ == nullptr) {
      failed(gen, "no TLS configuration for an https:// peer URL");
      return;
    }
    socket_ = tls_->dialSocket(tcp::socket(io_), host);
  } else {
    socket_ = std::make_shared<PeerSocket>(tcp::socket(io_));
  }
  auto self = shared_from_this();
  timer_.expires_after(limits_.dialTimeout);
  timer_.async_wait([self, gen](const boost::system::error_code& ec) {
    if (ec || gen != self->generation_ || self->state_ != State::Dialing) return;
    self->failed(gen, "dial timed out");
  });
  resolver_.async_resolve(
      host, std::to_string(url.port),
      [self, gen, host](const boost::system::error_code& ec, tcp::resolver::results_type results) {
        if (gen != self->generation_) return;
        if (ec) {
          self->failed(gen, ec.message());
          return;
        }
        asio::async_connect(self->socket_->tcp(), results,
                            [self, gen, host, sock = self->socket_](
                                const boost::system::error_code& cec, const tcp::endpoint&) {
                              if (gen != self->generation_) return;
                              if (cec) {
                                self->failed(gen, cec.message());
                                return;
                              }
                              self->onTcpConnected(gen, host);
                            });
      });
}

void PeerStream::onTcpConnected(uint64_t gen, const std::string& host) {
  auto self = shared_from_this();
  socket_->handshake(asio::ssl::stream_base::client,
                     [self, gen, host, sock = socket_](const boost::system::error_code& ec) {
                       if (gen != self->generation_) return;
                       if (ec) {
                         self->failed(gen, PeerTls::handshakeError(*sock, ec));
                         return;
                       }
                       if (sock->secure() && self->tls_ != nullptr) {
                         const Status why = self->tls_->checkOtherSide(*sock->tls(), false, host);
                         if (!why) {
                           self->failed(gen, why.message());
                           return;
                         }
                       }
                       self->onConnected(gen);
                     });
}

void PeerStream::onConnected(uint64_t gen) {
  state_ = State::Handshaking;
  timer_.cancel();
  boost::system::error_code ignored;
  socket_->tcp().set_option(tcp::no_delay(true), ignored);
  socket_->tcp().set_option(asio::socket_base::keep_alive(true), ignored);
  helloBuf_ = encodeHello(hello_);
  auto self = shared_from_this();
  auto sock = socket_;
  asio::async_write(*sock, asio::buffer(helloBuf_),
                    [self, gen, sock](const boost::system::error_code& ec, std::size_t) {
                      if (gen != self->generation_) return;
                      if (ec) self->failed(gen, ec.message());
                    });
  asio::async_read(
      *sock, asio::buffer(replyBuf_),
      [self, gen, sock](const boost::system::error_code& ec, std::size_t) {
        if (gen != self->generation_) return;
        if (ec) {
          self->failed(gen, ec.message());
          return;
        }
        HelloReply reply;
        if (!decodeHelloReply(std::string_view(self->replyBuf_.data(), self->replyBuf_.size()),
                              &reply)) {
          self->failed(gen, "peer answered with an unknown hello");
          return;
        }
        if (reply.status == HelloStatus::ClusterMismatch) {
          self->logger_.warn(
              "rafthttp/stream.go",
              "request sent was ignored by remote peer due to cluster ID mismatch",
              jsonField("remote-peer-id", idHex(self->hello_.to)) + "," +
                  jsonField("remote-peer-cluster-id", idHex(reply.clusterId)) + "," +
                  jsonField("local-member-id", idHex(self->hello_.from)) + "," +
                  jsonField("local-member-cluster-id", idHex(self->hello_.clusterId)) + "," +
                  jsonField("error", "cluster ID mismatch"));
          self->failed(gen, "cluster ID mismatch");
          return;
        }
        if (reply.status == HelloStatus::RemovedMember) {
          // etcd's stream reader on a 410 Gone: this member is out for good.
          self->logger_.warn("rafthttp/stream.go", "failed to dial remote peer",
                             jsonField("remote-peer-id", idHex(self->hello_.to)) + "," +
                                 jsonField("error",
                                           "the member has been permanently removed from the "
                                           "cluster"));
          self->failed(gen, "removed member");
          if (self->onRemoved_) self->onRemoved_();
          return;
        }
        if (reply.status != HelloStatus::Accepted) {
          self->failed(gen, "peer does not know this member");
          return;
        }
        self->state_ = State::Connected;
        self->connectedSince_ = std::chrono::steady_clock::now();
        if (self->metrics_ != nullptr) self->metrics_->connected(self->hello_.to);
        self->backoff_.reset();
        if (self->reportedDown_) {
          self->logger_.info(kCaller, "peer became active",
                             jsonField("peer-id", idHex(self->hello_.to)) + "," +
                                 jsonField("stream-type", laneName(self->hello_.lane)));
          self->reportedDown_ = false;
        }
        // Nothing is ever sent back after the reply: a completed read
        // means the peer closed the connection.
        sock->async_read_some(asio::buffer(&self->probe_, 1),
                              [self, gen, sock](const boost::system::error_code& rec, std::size_t) {
                                if (gen != self->generation_) return;
                                self->failed(gen, rec ? rec.message() : "unexpected data");
                              });
        self->writeMore();
      });
}

void PeerStream::writeMore() {
  if (state_ != State::Connected || writing_ || queue_.empty()) return;
  writeBuf_.clear();
  queue_.takeBatch(limits_.maxBatchBytes, &writeBuf_);
  writing_ = true;
  const uint64_t gen = generation_;
  auto self = shared_from_this();
  auto sock = socket_;
  asio::async_write(*sock, asio::buffer(writeBuf_),
                    [self, gen, sock](const boost::system::error_code& ec, std::size_t n) {
                      if (gen != self->generation_) return;
                      self->writing_ = false;
                      if (ec) {
                        self->failed(gen, ec.message());
                        return;
                      }
                      if (self->metrics_ != nullptr) self->metrics_->sent(self->hello_.to, n);
                      self->writeMore();
                    });
}

void PeerStream::failed(uint64_t gen, const std::string& why) {
  if (gen != generation_ || state_ == State::Closed) return;
  const bool wasConnected = state_ == State::Connected;
  if (metrics_ != nullptr && wasConnected) metrics_->disconnected(hello_.to);
  ++generation_;
  socket_->close();
  writing_ = false;
  queue_.clear();
  if (!reportedDown_) {
    logger_.warn(kCaller,
                 wasConnected ? "lost TCP streaming connection with remote peer"
                              : "failed to dial remote peer",
                 jsonField("peer-id", idHex(hello_.to)) + "," +
                     jsonField("stream-type", laneName(hello_.lane)) + "," +
                     jsonField("error", why));
    reportedDown_ = true;
  }
  unreachable_();
  state_ = State::Waiting;
  const uint64_t waitGen = generation_;
  auto self = shared_from_this();
  timer_.expires_after(backoff_.next());
  timer_.async_wait([self, waitGen](const boost::system::error_code& ec) {
    if (ec || waitGen != self->generation_ || self->state_ != State::Waiting) return;
    self->dial();
  });
}

}  // namespace cairn::transport
