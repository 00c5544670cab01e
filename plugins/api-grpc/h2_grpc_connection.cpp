#include "h2_grpc_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <deque>
#include <exception>
#include <utility>

#include "cairn/errors.h"
#include "call_context.h"
#include "generic_grpc_service.h"
#include "grpc_wire.h"
#include "h2_grpc_call.h"
#include "wire_codec.h"

namespace cairn::api {

namespace pb = etcdserverpb;

H2GrpcConnection::H2GrpcConnection(boost::asio::io_context& io, int fd,
                                   std::shared_ptr<const H2GrpcConfig> config)
    : io_(io),
      socket_(io),
      config_(std::move(config)),
      session_(*this, config_->session),
      keepalive_(io) {
  boost::system::error_code ec;
  socket_.assign(fd, ec);
  if (ec) ::close(fd);
}

IoBuffers& ioBuffers() {
  thread_local IoBuffers buffers;
  return buffers;
}

H2GrpcConnection::~H2GrpcConnection() = default;

void H2GrpcConnection::start() {
  boost::asio::post(io_, [self = shared_from_this()] {
    self->flush();  // the server preface
    self->waitReadable();
    self->armKeepalive(self->config_->keepaliveInterval);
  });
}

void H2GrpcConnection::shutdown() {
  boost::asio::post(io_, [self = shared_from_this()] { self->close(); });
}

bool H2GrpcConnection::idle() const {
  std::lock_guard lk(mu_);
  return calls_.empty();
}

void H2GrpcConnection::goAway() {
  std::lock_guard lk(mu_);
  session_.goAway(h2::ErrorCode::NoError, "");
  postFlushLocked();
}

void H2GrpcConnection::waitReadable() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec) {
                         self->close();
                         return;
                       }
                       self->onReadable();
                     });
}

void H2GrpcConnection::onReadable() {
  // A few reads per wake-up, so one busy client does not starve the other
  // connections of this thread.
  std::string& readBuf = ioBuffers().read;
  for (int i = 0; i < 4; ++i) {
    const ssize_t n = ::recv(socket_.native_handle(), readBuf.data(), readBuf.size(), MSG_DONTWAIT);
    if (n == 0) {
      close();
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close();
      return;
    }
    std::vector<Action> actions;
    bool ok = false;
    {
      std::lock_guard lk(mu_);
      if (closed_) return;
      actions_ = &actions;
      readSinceCheck_ = true;
      ok = session_.receive(std::string_view(readBuf.data(), static_cast<std::size_t>(n)));
      actions_ = nullptr;
    }
    runActions(actions);
    if (!ok) {
      // A connection error: the GOAWAY goes out, then the socket closes.
      std::string why;
      {
        std::lock_guard lk(mu_);
        why = session_.failure();
      }
      config_->host->logger().warn("api-grpc/h2_grpc_connection.cpp",
                                   "closing a client connection after an HTTP/2 error",
                                   jsonField("error", why));
      flush();
      close();
      return;
    }
    if (static_cast<std::size_t>(n) < readBuf.size()) break;
  }
  flush();
  bool closed;
  {
    std::lock_guard lk(mu_);
    closed = closed_;
  }
  if (!closed) waitReadable();
}

void H2GrpcConnection::countHandled(const Call& call, StatusCode code) {
  if (call.method == nullptr || call.method->counters == nullptr) return;
  const int n = static_cast<int>(code);
  if (n >= 0 && n < GrpcCallMetrics::kCodes) call.method->counters->handled[n]->inc();
}

std::shared_ptr<H2GrpcConnection::Call> H2GrpcConnection::findLocked(std::uint32_t id) const {
  const auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second;
}

void H2GrpcConnection::onRequest(std::uint32_t id, const h2::HeaderList& headers, bool endStream,
                                 bool tooLarge) {
  auto call = std::make_shared<Call>();
  call->id = id;
  calls_.emplace(id, call);
  std::string_view path;
  std::string_view encoding;
  // Compared as views: a length mismatch rejects at once (every request has
  // 7-10 fields and only these few matter).
  constexpr std::string_view kPath = ":path";
  constexpr std::string_view kToken = kTokenMetadataKey;
  constexpr std::string_view kRequireLeader = kRequireLeaderMetadataKey;
  constexpr std::string_view kTimeout = "grpc-timeout";
  constexpr std::string_view kEncoding = "grpc-encoding";
  for (const h2::Header& h : headers) {
    const std::string_view name = h.name;
    if (name == kPath) {
      path = h.value;
    } else if (name == kToken) {
      call->ctx.token = h.value;
    } else if (name == kRequireLeader) {
      call->ctx.requireLeader = h.value == kHasLeader;
    } else if (name == kTimeout) {
      if (auto timeout = grpcwire::parseTimeout(h.value)) {
        call->ctx.deadline = std::chrono::steady_clock::now() + *timeout;
      }
    } else if (name == kEncoding) {
      encoding = h.value;
    }
  }
  if (tooLarge) {
    finishLocked(id, Status(StatusCode::Internal, "grpc: header list size exceeds the limit"));
    return;
  }
  call->method = config_->methods->find(path);
  if (call->method == nullptr) {
    finishLocked(id,
                 Status(StatusCode::Unimplemented, GenericGrpcService::unimplementedMessage(path)));
    return;
  }
  if (call->method->counters != nullptr) call->method->counters->started->inc();
  if (!encoding.empty() && encoding != "identity") {
    // grpc-go's server as etcd builds it has no decompressor.
    finishLocked(id, Status(StatusCode::Unimplemented,
                            "grpc: Decompressor is not installed for grpc-encoding \"" +
                                std::string(encoding) + "\""));
    return;
  }
  if (call->method->kind != H2Method::Kind::Unary) {
    actions_->push_back(Action{Action::Kind::Open, call, id, {}});
  }
  if (endStream) onData(id, {}, true);
}

bool H2GrpcConnection::takeMessagesLocked(std::uint32_t id, std::string_view bytes,
                                          std::vector<std::string>* out, std::size_t* used) {
  std::size_t at = 0;
  while (bytes.size() - at >= grpcwire::kPrefixBytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    const std::uint64_t length = h2::readU32(p + 1);
    if (length > static_cast<std::uint64_t>(config_->maxRequestBytes)) {
      finishLocked(id,
                   messageTooLarge(length, static_cast<std::uint64_t>(config_->maxRequestBytes)));
      return false;
    }
    if (p[0] != 0) {
      finishLocked(id, Status(StatusCode::Internal,
                              "grpc: compressed flag set with identity or empty encoding"));
      return false;
    }
    if (bytes.size() - at - grpcwire::kPrefixBytes < length) break;
    out->emplace_back(bytes.substr(at + grpcwire::kPrefixBytes, length));
    at += grpcwire::kPrefixBytes + length;
  }
  *used = at;
  return true;
}

void H2GrpcConnection::onData(std::uint32_t id, std::string_view data, bool endStream) {
  const std::shared_ptr<Call> call = findLocked(id);
  if (!call || call->finished) return;
  // Messages are cut straight from the frame when nothing is buffered (a
  // request in one DATA frame, the usual case): only a partial tail is
  // copied into call->in.
  std::vector<std::string>& messages = messages_;
  messages.clear();
  std::size_t used = 0;
  if (call->in.empty()) {
    if (!takeMessagesLocked(id, data, &messages, &used)) return;
    call->in.assign(data.substr(used));
  } else {
    call->in.append(data);
    if (!takeMessagesLocked(id, call->in, &messages, &used)) return;
    call->in.erase(0, used);
  }
  if (call->method->kind == H2Method::Kind::Unary) {
    if (!messages.empty() && !call->gotMessage) {
      call->gotMessage = true;
      actions_->push_back(Action{Action::Kind::Unary, call, id, std::move(messages.front())});
    }
    if (endStream && !call->gotMessage) finishLocked(id, missingRequest());
    return;
  }
  for (std::string& m : messages) {
    actions_->push_back(Action{Action::Kind::Message, call, id, std::move(m)});
  }
  // Marked done when the action runs, after the messages before it: a
  // keep-alive answered meanwhile must not see the stream done with
  // requests not yet queued.
  if (endStream) actions_->push_back(Action{Action::Kind::ClientDone, call, id, {}});
}

void H2GrpcConnection::onReset(std::uint32_t id, h2::ErrorCode) {
  const auto it = calls_.find(id);
  if (it == calls_.end()) return;
  std::shared_ptr<Call> call = std::move(it->second);
  calls_.erase(it);
  call->finished = true;
  call->ctx.cancel->cancel();
  countHandled(*call, StatusCode::Cancelled);
  if (call->method != nullptr && call->method->kind != H2Method::Kind::Unary) {
    toClose_.push_back(std::move(call));
  }
}

void H2GrpcConnection::runActions(std::vector<Action>& actions) {
  for (Action& a : actions) {
    switch (a.kind) {
      case Action::Kind::Unary:
        runUnary(a.call, a.id, a.bytes);
        break;
      case Action::Kind::Open:
        openStream(a.call, a.id);
        break;
      case Action::Kind::Message:
        streamMessage(a.call, a.id, a.bytes);
        break;
      case Action::Kind::ClientDone:
        if (a.call->stream) a.call->stream->onClientDone();
        if (a.call->method->kind == H2Method::Kind::LeaseKeepAlive) {
          // OK once the requests already sent are answered.
          std::lock_guard lk(mu_);
          a.call->clientDone = true;
          if (!a.call->finished && !a.call->keepAliveBusy) finishLocked(a.id, Status::ok());
        }
        break;
    }
  }
  // Calls released here, outside mu_.
  actions.clear();
}

void H2GrpcConnection::sendMessageLocked(std::uint32_t id, Call& call, std::string_view framed) {
  if (!call.headersSent) {
    call.headersSent = true;
    session_.sendHeaders(id, grpcwire::okHeaders());
  }
  session_.sendData(id, framed);
}

void H2GrpcConnection::finishLocked(std::uint32_t id, const Status& status, bool postFlush) {
  const auto it = calls_.find(id);
  if (it == calls_.end()) return;
  std::shared_ptr<Call> call = std::move(it->second);
  calls_.erase(it);
  call->finished = true;
  countHandled(*call, status.code());
  if (status.isOk() && call->headersSent) {
    session_.sendTrailers(id, grpcwire::okTrailers());
  } else {
    const grpcwire::StatusTrailers trailers(status, !call->headersSent);
    session_.sendTrailers(id, trailers.fields());
  }
  if (postFlush) postFlushLocked();
  if (call->watch || call->stream) toClose_.push_back(std::move(call));
}

void H2GrpcConnection::postFlushLocked() {
  if (flushPosted_ || writing_ || closed_) return;
  flushPosted_ = true;
  boost::asio::post(io_, [self = shared_from_this()] { self->flush(); });
}

void H2GrpcConnection::flush() {
  for (int round = 0; round < 8; ++round) {
    takeInbox();
    std::vector<std::uint32_t> ready;
    std::vector<std::shared_ptr<Call>> closing;
    std::vector<std::pair<std::shared_ptr<Call>, std::string>> keepAlives;
    {
      std::lock_guard lk(mu_);
      flushPosted_ = false;
      if (closed_) return;
      ready.swap(ready_);
      closing.swap(toClose_);
      for (std::uint32_t id : keepAliveNext_) {
        std::shared_ptr<Call> call = findLocked(id);
        if (!call || call->keepAlives.empty()) continue;
        keepAlives.emplace_back(call, std::move(call->keepAlives.front()));
        call->keepAlives.pop_front();
      }
      keepAliveNext_.clear();
    }
    for (auto& [call, message] : keepAlives) keepAlive(call, call->id, message);
    keepAlives.clear();
    for (const std::shared_ptr<Call>& call : closing) {
      if (call->watch) call->watch->close();
      if (call->stream) call->stream->close();
    }
    closing.clear();
    std::size_t pumped = 0;
    for (; pumped < ready.size(); ++pumped) {
      const std::uint32_t id = ready[pumped];
      std::shared_ptr<Call> call;
      {
        std::lock_guard lk(mu_);
        // One write's worth at a time: what is not polled yet waits in the
        // kernel's queue, where a watcher's revisions merge, rather than in
        // this connection's output behind everything polled before it.
        if (session_.outputBytes() >= kFlushBytes) break;
        call = findLocked(id);
      }
      if (!call) continue;
      if (call->watch) {
        pumpWatch(call, id);
      } else if (call->stream) {
        pumpStream(call, id);
      }
    }
    if (pumped < ready.size()) {
      std::lock_guard lk(mu_);
      ready_.insert(ready_.begin(), ready.begin() + static_cast<std::ptrdiff_t>(pumped),
                    ready.end());
    }
    {
      std::lock_guard lk(mu_);
      if (writing_) return;
      session_.takeOutput(&writeBuf_);
      writeCarriesData_ = session_.takeFramedData();
      writeOffset_ = 0;
      // Streams whose queue flow control has drained are polled again.
      for (std::size_t i = 0; i < blocked_.size();) {
        const std::uint32_t id = blocked_[i];
        const auto it = calls_.find(id);
        if (it == calls_.end()) {
          blocked_[i] = blocked_.back();
          blocked_.pop_back();
          continue;
        }
        if (session_.queuedBytes(id) < kWatchQueueBytes / 2) {
          it->second->blocked = false;
          it->second->ready = true;
          ready_.push_back(id);
          blocked_[i] = blocked_.back();
          blocked_.pop_back();
          continue;
        }
        ++i;
      }
    }
    if (!writeBuf_.empty() && !writeOut()) return;
    std::lock_guard lk(mu_);
    if (ready_.empty() && toClose_.empty() && keepAliveNext_.empty() && !session_.hasOutput()) {
      return;
    }
  }
  // Still busy: let the reads of this thread's other connections in first.
  std::lock_guard lk(mu_);
  postFlushLocked();
}

bool H2GrpcConnection::writeOut() {
  while (writeOffset_ < writeBuf_.size()) {
    const ssize_t n = ::send(socket_.native_handle(), writeBuf_.data() + writeOffset_,
                             writeBuf_.size() - writeOffset_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      writeOffset_ += static_cast<std::size_t>(n);
      // The client pings as it receives our data (grpc-go's BDP probe):
      // data on the wire forgives those pings, as grpc-go's server does.
      if (writeCarriesData_) resetPingStrikes_.store(true, std::memory_order_relaxed);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      {
        std::lock_guard lk(mu_);
        writing_ = true;
      }
      socket_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                         [self = shared_from_this()](const boost::system::error_code& ec) {
                           {
                             std::lock_guard lk(self->mu_);
                             self->writing_ = false;
                           }
                           if (ec) {
                             self->close();
                             return;
                           }
                           if (self->writeOut()) self->flush();
                         });
      return false;
    }
    close();
    return false;
  }
  // A burst's buffer is not kept by a connection that goes quiet.
  if (writeBuf_.capacity() > 256 * 1024) {
    std::string().swap(writeBuf_);
  } else {
    writeBuf_.clear();
  }
  writeOffset_ = 0;
  return true;
}

void H2GrpcConnection::close() {
  std::vector<std::shared_ptr<Call>> calls;
  std::vector<std::shared_ptr<Call>> closing;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
    // Taken out of the map (its nodes belong to the connection's pool) and
    // ended outside the lock.
    calls.reserve(calls_.size());
    for (auto& [id, call] : calls_) calls.push_back(std::move(call));
    calls_.clear();
    closing.swap(toClose_);
  }
  for (const std::shared_ptr<Call>& call : calls) {
    call->ctx.cancel->cancel();
    countHandled(*call, StatusCode::Cancelled);
    if (call->watch) call->watch->close();
    if (call->stream) call->stream->close();
  }
  for (const std::shared_ptr<Call>& call : closing) {
    if (call->watch) call->watch->close();
    if (call->stream) call->stream->close();
  }
  keepalive_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace cairn::api
