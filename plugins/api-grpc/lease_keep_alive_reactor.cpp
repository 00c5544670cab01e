#include "lease_keep_alive_reactor.h"

#include <exception>
#include <string>
#include <utility>

#include "request_limit.h"
#include "unary_call_reactor.h"

namespace cairn::api {

LeaseKeepAliveReactor::LeaseKeepAliveReactor(LeaseService& lease, int maxRequestBytes)
    : lease_(lease), maxRequestBytes_(maxRequestBytes), shared_(std::make_shared<Shared>()) {
  shared_->reactor = this;
  StartRead(&request_);
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
    if (std::optional<grpc::Status> refused = checkRequestSize(request_, maxRequestBytes_)) {
      finishAfterWritesLocked(*refused);
      return;
    }
    request = std::move(request_);
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
    lease_.keepAlive(request, std::move(done));
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
  StartRead(&request_);
}

void LeaseKeepAliveReactor::writeNextLocked() {
  if (writing_ || outbox_.empty() || broken_ || finished_) return;
  writing_ = true;
  // std::deque keeps the front's address while others are pushed behind it.
  StartWrite(&outbox_.front());
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
