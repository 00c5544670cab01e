// UnaryCallReactor: one unary gRPC call waiting for the kernel's `done`.
//
// The kernel completes a request on its own thread, possibly long after the
// client gave up or the server began to stop, and possibly after this plugin
// has stopped serving. So the call can be finished from three places: the
// kernel's `done`, gRPC's OnCancel (client cancelled, deadline passed, or the
// server cancelling calls at shutdown), or the handler itself if the kernel
// throws. Exactly one of them may call Finish; an atomic claim decides which.
// The loser does nothing, and `done` never touches the reactor or the
// response after someone else has finished the call (gRPC frees them after
// OnDone).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "cairn/host.h"
#include "cairn/status.h"
#include "request_limit.h"

namespace cairn::api {

inline grpc::Status toGrpcStatus(const Status& status) {
  // cairn::StatusCode uses gRPC's numbers, so the cast is the mapping.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message());
}

template <typename Response>
class UnaryCallReactor final : public grpc::ServerUnaryReactor {
 public:
  // `response` is gRPC's response message for this call; it stays valid until
  // the call is finished.
  explicit UnaryCallReactor(Response* response) : slot_(std::make_shared<Slot>()) {
    slot_->reactor = this;
    slot_->response = response;
  }

  // The completion handed to the kernel. It may outlive this reactor, the
  // service and the server; it only owns the shared slot.
  Done<Response> done() {
    return [slot = slot_](Status status, Response&& response) {
      if (!slot->claim()) return;
      if (status.isOk()) *slot->response = std::move(response);
      slot->reactor->Finish(toGrpcStatus(status));
    };
  }

  // Finishes the call with `status` unless it is already finished.
  void finishUnlessDone(const grpc::Status& status) {
    if (slot_->claim()) Finish(status);
  }

  void OnCancel() override {
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
    Response* response = nullptr;

    bool claim() { return !finished.exchange(true, std::memory_order_acq_rel); }
  };

  std::shared_ptr<Slot> slot_;
};

// Starts the kernel call for one unary RPC and returns its reactor. A request
// over `maxRequestBytes` is refused before the kernel sees it. A kernel that
// throws instead of answering must not take down gRPC's callback thread; the
// call fails with INTERNAL ("cairn: <service> request failed: ...") unless
// `done` already answered it.
template <typename Request, typename Response, typename Method>
grpc::ServerUnaryReactor* forwardUnary(const char* service, const Request* request,
                                       Response* response, int maxRequestBytes, Method&& method) {
  auto* reactor = new UnaryCallReactor<Response>(response);
  if (std::optional<grpc::Status> refused = checkRequestSize(*request, maxRequestBytes)) {
    reactor->finishUnlessDone(*refused);
    return reactor;
  }
  try {
    method(*request, reactor->done());
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
