// H2GrpcConnection's calls: a unary call to the kernel and its answer,
// streams opened and fed, LeaseKeepAlive one request at a time, and the
// pumps that move a watch session's or a stream call's responses into the
// HTTP/2 session. See h2_grpc_connection.h for the threads.
#include <boost/asio/post.hpp>
#include <functional>
#include <utility>

#include "grpc_wire.h"
#include "h2_grpc_call.h"
#include "wire_codec.h"

namespace cairn::api {

namespace pb = etcdserverpb;

void H2GrpcConnection::runUnary(const std::shared_ptr<Call>& call, std::uint32_t id,
                                const std::string& message) {
  std::unique_ptr<google::protobuf::Message> request(call->method->request->New());
  if (Status decoded =
          grpcwire::decode(message, config_->maxRequestBytes, CallShape::Unary, request.get());
      !decoded.isOk()) {
    answer(id, decoded, nullptr);
    return;
  }
  std::weak_ptr<H2GrpcConnection> weak = weak_from_this();
  const H2Method* method = call->method;
  auto done = [weak, id, method](Status status,
                                 std::unique_ptr<google::protobuf::Message> response) {
    auto self = weak.lock();
    if (!self) return;
    if (status.isOk() && response && response->GetDescriptor() != method->response) {
      status = Status(StatusCode::Internal, "cairn: " + method->fullName + " answered a " +
                                                response->GetDescriptor()->full_name() +
                                                ", not a " + method->response->full_name());
    }
    self->answer(id, status, response.get());
  };
  if (auto failed = guarded(method->failure,
                            [&] { (*method->unary)(call->ctx, *request, std::move(done)); })) {
    answer(id, *failed, nullptr);
  }
}

void H2GrpcConnection::openStream(const std::shared_ptr<Call>& call, std::uint32_t id) {
  {
    std::lock_guard lk(mu_);
    if (call->finished) return;
  }
  std::weak_ptr<H2GrpcConnection> weak = weak_from_this();
  auto onReady = [weak, id] {
    if (auto self = weak.lock()) self->markReady(id);
  };
  std::optional<Status> failed;
  switch (call->method->kind) {
    case H2Method::Kind::Watch:
      failed = guarded(call->method->failure,
                       [&] { call->watch = config_->host->watch().open(call->ctx, onReady); });
      if (!failed && !call->watch) {
        failed = Status(StatusCode::Internal, "cairn: watch request failed: no session");
      }
      if (!failed) {
        if (Status failure = call->watch->failure(); !failure.isOk()) failed = failure;
      }
      break;
    case H2Method::Kind::Stream:
      failed = guarded(call->method->failure,
                       [&] { call->stream = (*call->method->stream)(call->ctx, onReady); });
      if (!failed && !call->stream) {
        failed =
            Status(StatusCode::Internal, "cairn: " + call->method->failure + " failed: no stream");
      }
      break;
    default:
      break;
  }
  if (failed) {
    std::lock_guard lk(mu_);
    finishLocked(id, *failed);  // a session already open is closed by the I/O thread
  }
}

void H2GrpcConnection::streamMessage(const std::shared_ptr<Call>& call, std::uint32_t id,
                                     const std::string& message) {
  {
    std::lock_guard lk(mu_);
    if (call->finished) return;
  }
  switch (call->method->kind) {
    case H2Method::Kind::Watch: {
      pb::WatchRequest request;
      if (Status s =
              grpcwire::decode(message, config_->maxRequestBytes, CallShape::Stream, &request);
          !s.isOk()) {
        std::lock_guard lk(mu_);
        finishLocked(id, s);
        return;
      }
      if (auto failed = guarded(call->method->failure, [&] { call->watch->request(request); })) {
        std::lock_guard lk(mu_);
        finishLocked(id, *failed);
      }
      break;
    }
    case H2Method::Kind::LeaseKeepAlive: {
      {
        std::lock_guard lk(mu_);
        if (call->keepAliveBusy) {
          call->keepAlives.push_back(message);
          return;
        }
        call->keepAliveBusy = true;
      }
      keepAlive(call, id, message);
      break;
    }
    case H2Method::Kind::Stream: {
      std::unique_ptr<google::protobuf::Message> request(call->method->request->New());
      if (Status s =
              grpcwire::decode(message, config_->maxRequestBytes, CallShape::Stream, request.get());
          !s.isOk()) {
        std::lock_guard lk(mu_);
        finishLocked(id, s);
        return;
      }
      if (auto failed =
              guarded(call->method->failure, [&] { call->stream->onMessage(*request); })) {
        std::lock_guard lk(mu_);
        finishLocked(id, *failed);
      }
      break;
    }
    case H2Method::Kind::Unary:
      break;
  }
}

void H2GrpcConnection::keepAlive(const std::shared_ptr<Call>& call, std::uint32_t id,
                                 const std::string& message) {
  pb::LeaseKeepAliveRequest request;
  if (Status s = grpcwire::decode(message, config_->maxRequestBytes, CallShape::Stream, &request);
      !s.isOk()) {
    std::lock_guard lk(mu_);
    finishLocked(id, s);
    return;
  }
  std::weak_ptr<H2GrpcConnection> weak = weak_from_this();
  auto done = [weak, id](Status status, pb::LeaseKeepAliveResponse&& response) {
    auto self = weak.lock();
    if (!self) return;
    std::string framed;
    if (status.isOk()) grpcwire::appendMessage(response, &framed);
    std::lock_guard lk(self->mu_);
    const std::shared_ptr<Call> c = self->findLocked(id);
    if (!c || c->finished) return;
    c->keepAliveBusy = false;
    if (!status.isOk()) {
      // An error ends the stream, after the answers already sent.
      self->finishLocked(id, status);
      return;
    }
    self->sendMessageLocked(id, *c, framed);
    if (!c->keepAlives.empty()) {
      // The next request goes to the kernel from the I/O thread.
      c->keepAliveBusy = true;
      self->keepAliveNext_.push_back(id);
    } else if (c->clientDone) {
      self->finishLocked(id, Status::ok());
    }
    self->postFlushLocked();
  };
  if (auto failed = guarded(call->method->failure, [&] {
        config_->host->lease().keepAlive(call->ctx, request, std::move(done));
      })) {
    std::lock_guard lk(mu_);
    finishLocked(id, *failed);
  }
}

void H2GrpcConnection::answer(std::uint32_t id, const Status& status,
                              const google::protobuf::Message* response) {
  thread_local std::string framed;
  framed.clear();
  Status final = status;
  if (final.isOk() && (response == nullptr || !grpcwire::appendMessage(*response, &framed))) {
    final = Status(StatusCode::Internal, "cairn: cannot serialize the response");
  }
  if (!final.isOk()) framed.clear();
  bool post = false;
  {
    std::lock_guard lk(inboxMu_);
    answered_.push_back(Answered{id, std::move(final), answeredBytes_.size(), framed.size()});
    answeredBytes_ += framed;
    post = !inboxPosted_;
    inboxPosted_ = true;
  }
  if (post) boost::asio::post(io_, [self = shared_from_this()] { self->flush(); });
}

void H2GrpcConnection::markReady(std::uint32_t id) {
  bool post = false;
  {
    std::lock_guard lk(inboxMu_);
    readied_.push_back(id);
    post = !inboxPosted_;
    inboxPosted_ = true;
  }
  if (post) boost::asio::post(io_, [self = shared_from_this()] { self->flush(); });
}

void H2GrpcConnection::takeInbox() {
  {
    std::lock_guard lk(inboxMu_);
    inboxPosted_ = false;
    if (answered_.empty() && readied_.empty()) return;
    takenAnswers_.swap(answered_);
    takenBytes_.swap(answeredBytes_);
    takenReadied_.swap(readied_);
  }
  {
    std::lock_guard lk(mu_);
    const std::string_view bytes = takenBytes_;
    for (const Answered& a : takenAnswers_) {
      // A call reset or cancelled meanwhile has ended already.
      const auto it = calls_.find(a.id);
      if (it == calls_.end() || it->second->finished) continue;
      if (a.status.isOk()) sendMessageLocked(a.id, *it->second, bytes.substr(a.offset, a.size));
      finishLocked(a.id, a.status, false);
    }
    for (const std::uint32_t id : takenReadied_) {
      const auto it = calls_.find(id);
      if (it == calls_.end()) continue;
      Call& call = *it->second;
      // Listed already, or waiting for flow control (polled again when its
      // queue drains), or over.
      if (call.ready || call.blocked || call.finished) continue;
      call.ready = true;
      ready_.push_back(id);
    }
  }
  takenAnswers_.clear();
  takenBytes_.clear();
  takenReadied_.clear();
}

void H2GrpcConnection::pumpWatch(const std::shared_ptr<Call>& call, std::uint32_t id) {
  std::string& polled = ioBuffers().poll;
  pump(call, id, [&call, &polled](std::string* batch) {
    if (Status failure = call->watch->failure(); !failure.isOk()) return Polled{false, failure};
    if (!call->watch->pollEncoded(&polled)) return Polled{false, std::nullopt};
    if (polled.empty()) {
      return Polled{false, Status(StatusCode::Internal, "cairn: cannot serialize the response")};
    }
    grpcwire::appendPrefix(polled.size(), batch);
    *batch += polled;
    return Polled{true, std::nullopt};
  });
}

void H2GrpcConnection::pumpStream(const std::shared_ptr<Call>& call, std::uint32_t id) {
  pump(call, id, [&call](std::string* batch) {
    std::unique_ptr<google::protobuf::Message> message;
    Status finalStatus;
    StreamCall::Next next = StreamCall::Next::Idle;
    if (auto failed =
            guarded("stream poll", [&] { next = call->stream->poll(&message, &finalStatus); })) {
      return Polled{false, *failed};
    }
    if (next == StreamCall::Next::Idle) return Polled{false, std::nullopt};
    if (next == StreamCall::Next::Finished) return Polled{false, finalStatus};
    if (!message || !grpcwire::appendMessage(*message, batch)) {
      return Polled{false, Status(StatusCode::Internal, "cairn: cannot serialize the response")};
    }
    return Polled{true, std::nullopt};
  });
}

void H2GrpcConnection::pump(const std::shared_ptr<Call>& call, std::uint32_t id,
                            const std::function<Polled(std::string*)>& pollOne) {
  std::size_t queued;
  {
    std::lock_guard lk(mu_);
    if (call->finished) return;
    call->ready = false;  // an onReady from now on lists it again
    queued = session_.queuedBytes(id);
  }
  std::string& batch = ioBuffers().batch;
  batch.clear();
  Polled last{true, std::nullopt};
  while (queued + batch.size() < kWatchQueueBytes) {
    last = pollOne(&batch);
    if (!last.more) break;
  }
  std::lock_guard lk(mu_);
  if (call->finished) return;
  if (!batch.empty()) sendMessageLocked(id, *call, batch);
  if (last.end) {
    finishLocked(id, *last.end);
  } else if (last.more) {
    // Stopped by the queue's bound, not by an empty session: polled again
    // once flow control drains the queue.
    call->blocked = true;
    blocked_.push_back(id);
  }
}

}  // namespace cairn::api
