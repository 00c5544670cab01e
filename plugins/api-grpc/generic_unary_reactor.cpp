#include "generic_unary_reactor.h"

#include <google/protobuf/message.h>

#include <exception>
#include <string>
#include <utility>

#include "call_context.h"
#include "wire_codec.h"

namespace cairn::api {

GenericUnaryReactor::GenericUnaryReactor(const grpc::GenericCallbackServerContext& call,
                                         const google::protobuf::MethodDescriptor& method,
                                         const UnaryHandler& handler, int maxRequestBytes)
    : method_(method),
      handler_(handler),
      maxRequestBytes_(maxRequestBytes),
      context_(requestContextFor(call)),
      slot_(std::make_shared<Slot>()) {
  slot_->reactor = this;
  StartRead(&requestBytes_);
}

void GenericUnaryReactor::OnReadDone(bool ok) {
  if (!ok) {
    // No request message: the client half-closed without one, or the call
    // broke (OnCancel finishes it then; the claim makes this a no-op).
    finishUnlessDone(missingRequest());
    return;
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method_.input_type());
  request_.reset(prototype->New());
  if (Status decoded =
          decodeRequest(requestBytes_, maxRequestBytes_, CallShape::Unary, request_.get());
      !decoded.isOk()) {
    finishUnlessDone(decoded);
    return;
  }
  const std::string what = "cairn: " + method_.full_name() + " request failed: ";
  try {
    handler_(context_, *request_, done());
  } catch (const std::exception& e) {
    finishUnlessDone(Status(StatusCode::Internal, what + e.what()));
  } catch (...) {
    finishUnlessDone(Status(StatusCode::Internal, what + "unknown exception"));
  }
}

MessageDone GenericUnaryReactor::done() {
  return [slot = slot_](Status status, std::unique_ptr<google::protobuf::Message> response) {
    if (!slot->claim()) return;
    slot->reactor->answer(std::move(status), std::move(response));
  };
}

void GenericUnaryReactor::answer(Status status,
                                 std::unique_ptr<google::protobuf::Message> response) {
  if (!status.isOk()) {
    Finish(toGrpcStatus(status));
    return;
  }
  const google::protobuf::Descriptor* expected = method_.output_type();
  if (response != nullptr && response->GetDescriptor() != expected) {
    // A handler bug: the client could not parse the answer.
    Finish(
        toGrpcStatus(Status(StatusCode::Internal, "cairn: " + method_.full_name() + " answered a " +
                                                      response->GetDescriptor()->full_name() +
                                                      ", not a " + expected->full_name())));
    return;
  }
  const google::protobuf::Message& message =
      response != nullptr
          ? *response
          : *google::protobuf::MessageFactory::generated_factory()->GetPrototype(expected);
  if (!encodeResponse(message, &responseBytes_)) {
    Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cairn: cannot serialize the response"));
    return;
  }
  StartWriteAndFinish(&responseBytes_, grpc::WriteOptions(), grpc::Status::OK);
}

void GenericUnaryReactor::finishUnlessDone(const Status& status) {
  if (slot_->claim()) Finish(toGrpcStatus(status));
}

void GenericUnaryReactor::OnCancel() {
  context_.cancel->cancel();
  // The client sees its own cancellation status; this only frees the call.
  finishUnlessDone(Status(StatusCode::Cancelled, "context canceled"));
}

void GenericUnaryReactor::OnDone() {
  delete this;
}

}  // namespace cairn::api
