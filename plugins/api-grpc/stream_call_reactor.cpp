#include "stream_call_reactor.h"

#include <exception>
#include <string>
#include <utility>

#include "call_context.h"
#include "grpc_executor.h"
#include "wire_codec.h"

namespace cairn::api {
namespace {

grpc::Status cancelled() {
  // The client sees its own cancellation; this only releases the call.
  return grpc::Status(grpc::StatusCode::CANCELLED, "context canceled");
}

}  // namespace

StreamCallReactor::StreamCallReactor(const grpc::GenericCallbackServerContext& call,
                                     const google::protobuf::MethodDescriptor& method,
                                     const StreamHandler& handler, int maxRequestBytes)
    : method_(method),
      serverStreaming_(!method.client_streaming()),
      maxRequestBytes_(maxRequestBytes),
      context_(requestContextFor(call)),
      shared_(std::make_shared<Shared>()) {
  shared_->reactor = this;
  request_.reset(google::protobuf::MessageFactory::generated_factory()
                     ->GetPrototype(method.input_type())
                     ->New());
  // Weak: the call keeps this function, and the block keeps the call.
  std::weak_ptr<Shared> weak = shared_;
  std::unique_ptr<StreamCall> opened;
  const std::string what = "cairn: " + method.full_name() + " stream failed: ";
  std::optional<grpc::Status> failure;
  try {
    opened = handler(context_, [weak] {
      if (std::shared_ptr<Shared> shared = weak.lock()) shared->onReady();
    });
  } catch (const std::exception& e) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, what + e.what());
  } catch (...) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, what + "unknown exception");
  }
  if (!opened && !failure) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, what + "no stream");
  }
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (failure) {
      finishAfterWriteLocked(*failure);
      return;
    }
    shared_->call = std::move(opened);
    StartRead(&requestBytes_);
  }
  // The handler may have signalled onReady before its call was stored here;
  // one pump round makes sure nothing it queued waits for the next signal.
  shared_->onReady();
}

void StreamCallReactor::Shared::onReady() {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (reactor == nullptr) return;
    if (pumping) {
      readyAgain = true;
      return;
    }
    pumping = true;
  }
  runOnGrpcExecutor([weak = weak_from_this()] {
    if (std::shared_ptr<Shared> shared = weak.lock()) shared->pump();
  });
}

void StreamCallReactor::Shared::pump() {
  while (true) {
    StreamCall* polled = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      polled = call.get();
    }
    std::unique_ptr<google::protobuf::Message> response;
    Status finalStatus;
    StreamCall::Next next = StreamCall::Next::Idle;
    std::optional<grpc::Status> failure;
    if (polled != nullptr) {
      try {
        next = polled->poll(&response, &finalStatus);
      } catch (const std::exception& e) {
        failure = grpc::Status(grpc::StatusCode::INTERNAL,
                               std::string("cairn: stream poll failed: ") + e.what());
      } catch (...) {
        failure = grpc::Status(grpc::StatusCode::INTERNAL,
                               "cairn: stream poll failed: unknown exception");
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    if (reactor == nullptr || reactor->finishStatus_ || reactor->finished_) {
      // The stream is ending; what the call still holds is dropped with it.
      pumping = false;
      return;
    }
    if (failure) {
      pumping = false;
      reactor->finishAfterWriteLocked(*failure);
      return;
    }
    switch (next) {
      case StreamCall::Next::Message:
        if (response == nullptr) {
          pumping = false;
          reactor->finishAfterWriteLocked(grpc::Status(
              grpc::StatusCode::INTERNAL, "cairn: stream poll gave Message without one"));
          return;
        }
        reactor->startWriteLocked(*response);  // still pumping until it completes
        return;
      case StreamCall::Next::Finished:
        pumping = false;
        reactor->finishAfterWriteLocked(toGrpcStatus(finalStatus));
        return;
      case StreamCall::Next::Idle:
        if (!readyAgain) {
          pumping = false;
          return;
        }
        readyAgain = false;
        break;
    }
  }
}

void StreamCallReactor::startWriteLocked(const google::protobuf::Message& response) {
  std::optional<grpc::Status> failure;
  if (response.GetDescriptor() != method_.output_type()) {
    // A handler bug: the client could not parse the answer.
    failure = grpc::Status(grpc::StatusCode::INTERNAL,
                           "cairn: " + method_.full_name() + " streamed a " +
                               response.GetDescriptor()->full_name() + ", not a " +
                               method_.output_type()->full_name());
  } else if (!encodeResponse(response, &writing_)) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, "cairn: cannot serialize the response");
  }
  if (failure) {
    shared_->pumping = false;
    finishAfterWriteLocked(*failure);
    return;
  }
  writeInFlight_ = true;
  StartWrite(&writing_);
}

void StreamCallReactor::OnWriteDone(bool ok) {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    writeInFlight_ = false;
    if (!ok) {
      // The stream broke (cancelled, or the connection went away).
      shared_->pumping = false;
      finishAfterWriteLocked(cancelled());
      return;
    }
    if (finishStatus_) {
      shared_->pumping = false;
      maybeFinishLocked();
      return;
    }
  }
  // This thread owns the pump (pumping stayed set during the write).
  shared_->pump();
}

void StreamCallReactor::OnReadDone(bool ok) {
  StreamCall* call = nullptr;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (finished_ || finishStatus_) return;
    call = shared_->call.get();
    if (ok) {
      if (Status decoded =
              decodeRequest(requestBytes_, maxRequestBytes_, CallShape::Stream, request_.get());
          !decoded.isOk()) {
        finishAfterWriteLocked(toGrpcStatus(decoded));
        return;
      }
    } else if (serverStreaming_ && !gotMessage_) {
      // A server-streaming method needs its one request (or the call broke,
      // and OnCancel follows).
      finishAfterWriteLocked(toGrpcStatus(missingRequest()));
      return;
    }
  }
  // Never null here: without a call the stream finished before reading. The
  // call lives until the block dies, after OnDone, which cannot run during
  // this reaction. Called without the mutex: they may signal onReady.
  const std::string what = "cairn: " + method_.full_name() + " stream failed: ";
  std::optional<grpc::Status> failure;
  try {
    if (ok) {
      gotMessage_ = true;
      call->onMessage(*request_);
      if (serverStreaming_) call->onClientDone();
    } else {
      // The client half-closed: only the reads end.
      call->onClientDone();
    }
  } catch (const std::exception& e) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, what + e.what());
  } catch (...) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, what + "unknown exception");
  }
  std::lock_guard<std::mutex> lock(shared_->mu);
  if (failure) {
    finishAfterWriteLocked(*failure);
  } else if (ok && !serverStreaming_ && !finished_ && !finishStatus_) {
    StartRead(&requestBytes_);
  }
}

void StreamCallReactor::OnCancel() {
  context_.cancel->cancel();
  closeCall();
  std::lock_guard<std::mutex> lock(shared_->mu);
  finishAfterWriteLocked(cancelled());
}

void StreamCallReactor::closeCall() {
  StreamCall* call = nullptr;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    call = shared_->call.get();
  }
  if (call != nullptr) call->close();
}

void StreamCallReactor::finishAfterWriteLocked(const grpc::Status& status) {
  if (!finishStatus_) finishStatus_ = status;
  maybeFinishLocked();
}

void StreamCallReactor::maybeFinishLocked() {
  // Finish only with no write in flight: its completion comes back here, and
  // a cancelled call fails its pending write promptly.
  if (finished_ || !finishStatus_ || writeInFlight_) return;
  finished_ = true;
  Finish(*finishStatus_);
}

void StreamCallReactor::OnDone() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->reactor = nullptr;
  }
  // After close() returns onReady never runs again; pumps still posted find
  // no reactor and let go.
  closeCall();
  delete this;
}

}  // namespace cairn::api
