// GenericUnaryReactor: one call of a registered unary method, on the generic
// (bytes, bidi-shaped) callback API.
//
// It reads the one request message, parses it with the prototype of the
// method's input type, hands it to the ServiceDef's UnaryHandler with the
// call's RequestContext, and writes the handler's response with the final
// status in one operation. The request message and context live until the
// call is done; the handler must copy what it keeps beyond its call.
//
// The handler's `done` may run on any thread, after the client cancelled or
// the server stopped: as in UnaryCallReactor, an atomic claim lets exactly
// one of `done`, OnCancel and the reactor's own failure paths finish the
// call, and `done` only owns the shared slot.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/async_generic_service.h>

#include <atomic>
#include <memory>

#include "cairn/service.h"

namespace cairn::api {

class GenericUnaryReactor final : public grpc::ServerGenericBidiReactor {
 public:
  // `method` and `handler` must outlive the call (they belong to the
  // descriptor pool and the service registry).
  GenericUnaryReactor(const grpc::GenericCallbackServerContext& call,
                      const google::protobuf::MethodDescriptor& method, const UnaryHandler& handler,
                      int maxRequestBytes);

  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Slot {
    std::atomic<bool> finished{false};
    // Valid until `finished` is claimed and the call finished; written once
    // before the slot is shared.
    GenericUnaryReactor* reactor = nullptr;

    bool claim() { return !finished.exchange(true, std::memory_order_acq_rel); }
  };

  // Finishes the call with `status` unless it is already finished.
  void finishUnlessDone(const Status& status);
  // The completion handed to the handler.
  MessageDone done();
  void answer(Status status, std::unique_ptr<google::protobuf::Message> response);

  const google::protobuf::MethodDescriptor& method_;
  const UnaryHandler& handler_;
  const int maxRequestBytes_;
  const RequestContext context_;
  const std::shared_ptr<Slot> slot_;
  // gRPC's read target; then the parsed request, alive until OnDone.
  grpc::ByteBuffer requestBytes_;
  std::unique_ptr<google::protobuf::Message> request_;
  // Written once, by whoever claimed the slot, before the write starts.
  grpc::ByteBuffer responseBytes_;
};

}  // namespace cairn::api
