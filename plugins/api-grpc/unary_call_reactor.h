// UnaryCallReactor: one unary gRPC call of a typed service (KV, Lease,
// Cluster, Maintenance), served raw, waiting for the kernel's `done`.
//
// The reactor owns the call's request message and RequestContext; both live
// until the call is done (gRPC's OnDone), so the kernel may use them for the
// duration of its KvService/LeaseService/... call and must copy what it
// keeps beyond it, because a cancelled call can end before `done` runs.
//
// The kernel completes a request on its own thread, possibly long after the
// client gave up or the server began to stop, and possibly after this plugin
// has stopped serving. So the call can be finished from three places: the
// kernel's `done`, gRPC's OnCancel (client cancelled, deadline passed, or the
// server cancelling calls at shutdown), or the handler itself (a request that
// does not parse, a kernel that throws). Exactly one of them may call Finish;
// an atomic claim decides which. The loser does nothing, and `done` never
// touches the reactor or the response after someone else has finished the
// call (gRPC frees them after OnDone).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "cairn/service.h"
#include "cairn/status.h"
#include "call_context.h"
#include "wire_codec.h"

namespace cairn::api {

template <typename Request, typename Response>
class UnaryCallReactor final : public grpc::ServerUnaryReactor {
 public:
  // `responseBytes` is gRPC's response buffer for this call; it stays valid
  // until the call is finished.
  UnaryCallReactor(const grpc::CallbackServerContext& call, grpc::ByteBuffer* responseBytes)
      : context_(requestContextFor(call)), slot_(std::make_shared<Slot>()) {
    slot_->reactor = this;
    slot_->responseBytes = responseBytes;
  }

  Request& request() { return request_; }
  const RequestContext& context() const { return context_; }

  // The completion handed to the kernel. It may outlive this reactor, the
  // service and the server; it only owns the shared slot.
  Done<Response> done() {
    return [slot = slot_](Status status, Response&& response) {
      if (!slot->claim()) return;
      if (status.isOk() && !encodeResponse(response, slot->responseBytes)) {
        status = Status(StatusCode::Internal, "cairn: cannot serialize the response");
      }
      slot->reactor->Finish(toGrpcStatus(status));
    };
  }

  // Finishes the call with `status` unless it is already finished.
  void finishUnlessDone(const grpc::Status& status) {
    if (slot_->claim()) Finish(status);
  }

  void OnCancel() override {
    context_.cancel->cancel();
    // The client sees its own cancellation status; this only frees the call
    // so server shutdown does not wait for a kernel that may answer late.
    finishUnlessDone(grpc::Status(grpc::StatusCode::CANCELLED, "context canceled"));
  }

  void OnDone() override { delete this; }

 private:
  struct Slot {
    std::atomic<bool> finished{false};
    // Both are valid until `finished` is claimed and Finish is called; they
    // are written once before the slot is shared.
    UnaryCallReactor* reactor = nullptr;
    grpc::ByteBuffer* responseBytes = nullptr;

    bool claim() { return !finished.exchange(true, std::memory_order_acq_rel); }
  };

  Request request_;
  const RequestContext context_;
  std::shared_ptr<Slot> slot_;
};

// Starts the kernel call for one unary RPC and returns its reactor. The
// request is decoded here (a request too large or unparsable is answered
// with grpc-go's status before the kernel sees it). A kernel that throws
// instead of answering must not take down gRPC's callback thread; the call
// fails with INTERNAL ("cairn: <service> request failed: ...") unless `done`
// already answered it. `method(ctx, request, done)` calls the kernel.
template <typename Request, typename Response, typename Method>
grpc::ServerUnaryReactor* serveUnary(const char* service, grpc::CallbackServerContext* call,
                                     const grpc::ByteBuffer* requestBytes,
                                     grpc::ByteBuffer* responseBytes, int maxRequestBytes,
                                     Method&& method) {
  auto* reactor = new UnaryCallReactor<Request, Response>(*call, responseBytes);
  if (Status decoded =
          decodeRequest(*requestBytes, maxRequestBytes, CallShape::Unary, &reactor->request());
      !decoded.isOk()) {
    reactor->finishUnlessDone(toGrpcStatus(decoded));
    return reactor;
  }
  try {
    method(reactor->context(), reactor->request(), reactor->done());
  } catch (const std::exception& e) {
    reactor->finishUnlessDone(
        grpc::Status(grpc::StatusCode::INTERNAL,
                     std::string("cairn: ") + service + " request failed: " + e.what()));
  } catch (...) {
    reactor->finishUnlessDone(
        grpc::Status(grpc::StatusCode::INTERNAL,
                     std::string("cairn: ") + service + " request failed: unknown exception"));
  }
  return reactor;
}

}  // namespace cairn::api
