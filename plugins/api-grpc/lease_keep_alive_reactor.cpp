#include "lease_keep_alive_reactor.h"

#include <exception>
#include <string>
#include <utility>

#include "call_context.h"
#include "wire_codec.h"

namespace cairn::api {

LeaseKeepAliveReactor::LeaseKeepAliveReactor(const grpc::CallbackServerContext& call,
                                             LeaseService& lease, int maxRequestBytes)
    : lease_(lease),
      maxRequestBytes_(maxRequestBytes),
      context_(requestContextFor(call)),
      shared_(std::make_shared<Shared>()) {
  shared_->reactor = this;
  StartRead(&requestBytes_);
}

void LeaseKeepAliveReactor::OnReadDone(bool ok) {
  uint64_t seq = 0;
  etcdserverpb::LeaseKeepAliveRequest request;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (!ok) {
      // Half-close, or the stream broke (OnCancel follows then).
      readsDone_ = true;
      maybeFinishLocked();
      return;
    }
    if (finished_ || broken_ || finishStatus_) return;
    if (Status decoded =
            decodeRequest(requestBytes_, maxRequestBytes_, CallShape::Stream, &request);
        !decoded.isOk()) {
      finishAfterWritesLocked(toGrpcStatus(decoded));
      return;
    }
    seq = nextSeq_++;
    awaitedSeq_ = seq;
  }

  Done<etcdserverpb::LeaseKeepAliveResponse> done =
      [shared = shared_, seq](Status status, etcdserverpb::LeaseKeepAliveResponse&& response) {
        std::lock_guard<std::mutex> lock(shared->mu);
        if (shared->reactor != nullptr) {
          shared->reactor->onAnswerLocked(seq, status, std::move(response));
        }
      };
  std::optional<grpc::Status> failure;
  try {
    lease_.keepAlive(context_, request, std::move(done));
  } catch (const std::exception& e) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL,
                           std::string("cairn: lease keep-alive failed: ") + e.what());
  } catch (...) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL,
                           "cairn: lease keep-alive failed: unknown exception");
  }
  if (failure) {
    std::lock_guard<std::mutex> lock(shared_->mu);
    // Unless the kernel answered before throwing.
    if (awaitedSeq_ == seq) {
      awaitedSeq_ = 0;
      finishAfterWritesLocked(*failure);
    }
  }
}

void LeaseKeepAliveReactor::onAnswerLocked(uint64_t seq, const Status& status,
                                           etcdserverpb::LeaseKeepAliveResponse&& response) {
  if (awaitedSeq_ != seq) return;  // a second answer, or one given up on
  awaitedSeq_ = 0;
  if (finished_ || broken_ || finishStatus_) {
    maybeFinishLocked();
    return;
  }
  if (!status.isOk()) {
    finishAfterWritesLocked(toGrpcStatus(status));
    return;
  }
  outbox_.push_back(std::move(response));
  writeNextLocked();
  StartRead(&requestBytes_);
}

void LeaseKeepAliveReactor::writeNextLocked() {
  if (writing_ || outbox_.empty() || broken_ || finished_) return;
  if (!encodeResponse(outbox_.front(), &writeBytes_)) {
    outbox_.clear();
    finishAfterWritesLocked(
        grpc::Status(grpc::StatusCode::INTERNAL, "cairn: cannot serialize the response"));
    return;
  }
  writing_ = true;
  StartWrite(&writeBytes_);
}

void LeaseKeepAliveReactor::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  writing_ = false;
  outbox_.pop_front();
  if (!ok) broken_ = true;
  writeNextLocked();
  maybeFinishLocked();
}

void LeaseKeepAliveReactor::OnCancel() {
  context_.cancel->cancel();
  std::lock_guard<std::mutex> lock(shared_->mu);
  broken_ = true;
  maybeFinishLocked();
}

void LeaseKeepAliveReactor::finishAfterWritesLocked(const grpc::Status& status) {
  if (!finishStatus_) finishStatus_ = status;
  maybeFinishLocked();
}

void LeaseKeepAliveReactor::maybeFinishLocked() {
  // Finish only with no write in flight: the write's completion comes back
  // here, and a cancelled call fails its pending write promptly.
  if (finished_ || writing_) return;
  if (broken_) {
    // The client sees its own cancellation; this only releases the call.
    finished_ = true;
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
  } else if (finishStatus_ && outbox_.empty()) {
    finished_ = true;
    Finish(*finishStatus_);
  } else if (readsDone_ && awaitedSeq_ == 0 && outbox_.empty()) {
    finished_ = true;
    Finish(grpc::Status::OK);
  }
}

void LeaseKeepAliveReactor::OnDone() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->reactor = nullptr;
  }
  delete this;
}

}  // namespace cairn::api
