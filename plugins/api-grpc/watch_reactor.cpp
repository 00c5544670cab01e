#include "watch_reactor.h"

#include <exception>
#include <string>
#include <utility>

#include "call_context.h"
#include "grpc_executor.h"
#include "wire_codec.h"

namespace cairn::api {
namespace {

// Bytes written with the buffer hint before a write without it. chttp2
// completes a hinted write at once while the stream holds less than its
// write buffer (64 KiB) beyond what flow control lets out; a flooded
// stream's backlog then sat in chttp2, one message per response, where
// nothing can merge it (peak RSS 170 MiB with 1,000 streams x 10 watchers).
// A write without the hint completes once it is written out, so past this
// bound the backlog waits in the kernel's queue, bounded and merged (peak
// RSS 85 MiB).
constexpr std::size_t kHintedBytesMax = 16 * 1024;

// The reactor whose StartWrite this thread is inside, and whether that
// write completed there (its OnWriteDone ran inline).
thread_local const WatchReactor* tInlineWriter = nullptr;
thread_local bool tInlineDone = false;
thread_local bool tInlineOk = false;

}  // namespace

WatchReactor::WatchReactor(const grpc::CallbackServerContext& call, WatchService& watch,
                           int maxRequestBytes, const GrpcCallMetrics::MethodCounters* counters)
    : maxRequestBytes_(maxRequestBytes),
      counters_(counters),
      context_(requestContextFor(call)),
      shared_(std::make_shared<Shared>()) {
  shared_->reactor = this;
  if (counters_ != nullptr && counters_->started != nullptr) counters_->started->inc();
  // Weak: the session keeps this function, and the block keeps the session.
  std::weak_ptr<Shared> weak = shared_;
  std::unique_ptr<WatchSession> session;
  std::optional<grpc::Status> failure;
  try {
    session = watch.open(context_, [weak] {
      // A strong reference only while it runs: the reactor holds the block
      // until close() returned, so this is never the last one.
      if (std::shared_ptr<Shared> shared = weak.lock()) shared->onReady();
    });
  } catch (const std::exception& e) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL,
                           std::string("cairn: watch stream failed: ") + e.what());
  } catch (...) {
    failure =
        grpc::Status(grpc::StatusCode::INTERNAL, "cairn: watch stream failed: unknown exception");
  }
  if (!session && !failure) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL, "cairn: watch stream failed: no session");
  }
  if (session && !failure) {
    // Refused at open (a learner, or no leader for a client requiring one).
    if (Status st = session->failure(); !st) failure = toGrpcStatus(st);
  }
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (failure) {
      finishAfterWriteLocked(*failure);
      return;
    }
    shared_->session = std::move(session);
    StartRead(&requestBytes_);
  }
  // The kernel may have signalled onReady while open() ran, before the
  // session was stored here; that pump found nothing to poll and the signal
  // would be lost (it comes only when the queue turns non-empty). One more
  // round takes whatever is queued.
  shared_->onReady();
}

void WatchReactor::Shared::onReady() {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (reactor == nullptr) return;
    if (pumping) {
      readyAgain = true;
      return;
    }
    pumping = true;
  }
  postPump();
}

void WatchReactor::Shared::postPump() {
  runOnGrpcExecutor([weak = weak_from_this()] {
    if (std::shared_ptr<Shared> shared = weak.lock()) shared->pump();
  });
}

void WatchReactor::Shared::pump() {
  WatchSession* polled = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    polled = session.get();
  }
  while (true) {
    // Only the pump owner touches the byte buffers; mu guards haveAhead for
    // the reactor's sake.
    bool taken = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (haveAhead) {
        takenBytes.swap(aheadBytes);
        haveAhead = false;
        taken = true;
      }
    }
    if (!taken && polled != nullptr) taken = polled->pollEncoded(&takenBytes);
    const bool more = taken && polled != nullptr && polled->pollEncoded(&aheadBytes);
    WatchReactor* writer = nullptr;
    grpc::WriteOptions options;
    // The kernel ended the stream (a client requiring a leader, none left).
    const Status failure = polled != nullptr ? polled->failure() : Status::ok();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (reactor == nullptr || reactor->finishStatus_ || reactor->finished_) {
        // The stream is ending; what the session still holds is dropped with it.
        pumping = false;
        haveAhead = false;
        return;
      }
      if (!failure) {
        pumping = false;
        haveAhead = false;
        reactor->finishAfterWriteLocked(toGrpcStatus(failure));
        return;
      }
      if (taken && takenBytes.empty()) {
        // Taken but not serializable (see WatchSession::pollEncoded).
        pumping = false;
        haveAhead = false;
        reactor->finishAfterWriteLocked(
            grpc::Status(grpc::StatusCode::INTERNAL, "cairn: cannot serialize the response"));
        return;
      }
      if (!taken) {
        if (!readyAgain) {
          pumping = false;
          return;
        }
        readyAgain = false;
        continue;
      }
      haveAhead = more;
      // Still pumping until the write completes.
      reactor->startWriteLocked(takenBytes, more, &options);
      writer = reactor;
    }
    // Outside mu: gRPC may complete a buffered write inside StartWrite, on
    // this thread; OnWriteDone then only records it and the loop goes on
    // here (no recursion). Otherwise OnWriteDone runs later and pumps, and
    // `writer` (which may be gone by then) is not touched again here.
    tInlineWriter = writer;
    tInlineDone = false;
    writer->StartWrite(&writer->writing_, options);
    tInlineWriter = nullptr;
    if (!tInlineDone) return;
    std::lock_guard<std::mutex> lock(mu);
    if (!writer->writeDoneLocked(tInlineOk)) return;
  }
}

void WatchReactor::startWriteLocked(const std::string& response, bool more,
                                    grpc::WriteOptions* options) {
  grpc::Slice slice(response.data(), response.size());
  writing_ = grpc::ByteBuffer(&slice, 1);
  // Set before mu is released: Finish waits for the write from here on.
  writeInFlight_ = true;
  // Not on the first write: it carries the initial metadata, and chttp2
  // holds a buffered batch with headers until a later write flushes it.
  if (more && wroteOnce_ && hintedBytes_ + response.size() <= kHintedBytesMax) {
    options->set_buffer_hint();
    hintedBytes_ += response.size();
  } else {
    hintedBytes_ = 0;
  }
  wroteOnce_ = true;
}

bool WatchReactor::writeDoneLocked(bool ok) {
  writeInFlight_ = false;
  if (!ok) {
    // The stream broke (cancelled, or the connection went away).
    shared_->pumping = false;
    finishAfterWriteLocked(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
    return false;
  }
  if (finishStatus_) {
    shared_->pumping = false;
    maybeFinishLocked();
    return false;
  }
  return true;
}

void WatchReactor::OnWriteDone(bool ok) {
  if (tInlineWriter == this) {
    // Completed inside StartWrite (see pump()).
    tInlineDone = true;
    tInlineOk = ok;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (!writeDoneLocked(ok)) return;
  }
  // This thread owns the pump (pumping stayed set during the write).
  shared_->pump();
}

void WatchReactor::OnReadDone(bool ok) {
  etcdserverpb::WatchRequest request;
  WatchSession* session = nullptr;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    // !ok: half-close, or the stream broke (OnCancel follows then). etcd
    // keeps sending after a half-close, so only the reads stop.
    if (!ok || finished_ || finishStatus_) return;
    if (Status decoded =
            decodeRequest(requestBytes_, maxRequestBytes_, CallShape::Stream, &request);
        !decoded.isOk()) {
      finishAfterWriteLocked(toGrpcStatus(decoded));
      return;
    }
    session = shared_->session.get();
  }
  // Never null here: without a session the stream finished before reading.
  // The session lives until OnDone, which cannot run during this reaction.
  std::optional<grpc::Status> failure;
  try {
    session->request(request);
  } catch (const std::exception& e) {
    failure = grpc::Status(grpc::StatusCode::INTERNAL,
                           std::string("cairn: watch request failed: ") + e.what());
  } catch (...) {
    failure =
        grpc::Status(grpc::StatusCode::INTERNAL, "cairn: watch request failed: unknown exception");
  }
  std::lock_guard<std::mutex> lock(shared_->mu);
  if (failure) {
    finishAfterWriteLocked(*failure);
  } else if (!finished_ && !finishStatus_) {
    StartRead(&requestBytes_);
  }
}

void WatchReactor::OnCancel() {
  context_.cancel->cancel();
  std::lock_guard<std::mutex> lock(shared_->mu);
  // The client sees its own cancellation; this only releases the call.
  finishAfterWriteLocked(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
}

void WatchReactor::finishAfterWriteLocked(const grpc::Status& status) {
  if (!finishStatus_) finishStatus_ = status;
  maybeFinishLocked();
}

void WatchReactor::maybeFinishLocked() {
  // Finish only with no write in flight: its completion comes back here, and
  // a cancelled call fails its pending write promptly.
  if (finished_ || !finishStatus_ || writeInFlight_) return;
  finished_ = true;
  if (counters_ != nullptr) {
    const int code = static_cast<int>(finishStatus_->error_code());
    if (code >= 0 && code < GrpcCallMetrics::kCodes && counters_->handled[code] != nullptr)
      counters_->handled[code]->inc();
  }
  Finish(*finishStatus_);
}

void WatchReactor::OnDone() {
  WatchSession* session = nullptr;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->reactor = nullptr;
    session = shared_->session.get();
  }
  // Without the mutex: close() waits for a running onReady, which takes it.
  // After close() returns onReady never runs again; pumps still posted find
  // no reactor and let go.
  if (session != nullptr) session->close();
  delete this;
}

}  // namespace cairn::api
