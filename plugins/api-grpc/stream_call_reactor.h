// StreamCallReactor: one call of a registered streaming method
// (server-streaming or bidirectional) driving the handler's StreamCall, on
// the generic (bytes, bidi-shaped) callback API.
//
// Reads: each client message is parsed with the prototype of the method's
// input type and goes to call->onMessage() in arrival order; the next read
// starts after it. A server-streaming method takes exactly one message and
// then tells the call onClientDone(); a bidirectional one reads until the
// client half-closes (onClientDone()), which ends only the reads.
//
// Writes: the same pump as WatchReactor. onReady never polls or writes on
// the handler's thread: it posts the pump (runOnGrpcExecutor: the server's pump thread). The pump
// owner polls until a write starts (one write in flight), the call is Idle
// with no onReady meanwhile (readyAgain), or the call is Finished, which
// finishes the gRPC call with its status once no write is in flight.
//
// Safety: what may outlive the reactor (onReady, posted pumps) holds the
// shared block, never the reactor. OnCancel cancels the RequestContext and
// closes the call; OnDone clears the block's reactor pointer, then closes the
// call (close() is idempotent), after which onReady is not signalled again;
// the call itself is destroyed with the block, after every pump let go.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/async_generic_service.h>

#include <memory>
#include <mutex>
#include <optional>

#include "cairn/service.h"

namespace cairn::api {

class StreamCallReactor final : public grpc::ServerGenericBidiReactor {
 public:
  // `method` and `handler` must outlive the call (they belong to the
  // descriptor pool and the service registry).
  StreamCallReactor(const grpc::GenericCallbackServerContext& call,
                    const google::protobuf::MethodDescriptor& method, const StreamHandler& handler,
                    int maxRequestBytes);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Shared : std::enable_shared_from_this<Shared> {
    // Runs on the call's onReady: take the pump or flag readyAgain.
    void onReady();
    // Runs by the pump's owner, without mu.
    void pump();

    std::mutex mu;
    // All below: guarded by mu.
    StreamCallReactor* reactor = nullptr;  // null once OnDone ran
    bool pumping = false;                  // someone polls, or a write is in flight
    bool readyAgain = false;               // onReady came while pumping
    // Set once the handler returned; closed by OnCancel/OnDone, destroyed
    // with the block.
    std::unique_ptr<StreamCall> call;
  };

  // All *Locked methods run with shared_->mu held.
  void startWriteLocked(const google::protobuf::Message& response);
  void finishAfterWriteLocked(const grpc::Status& status);
  void maybeFinishLocked();
  // Closes the call (without the mutex: close() may wait for an onReady).
  void closeCall();

  const google::protobuf::MethodDescriptor& method_;
  const bool serverStreaming_;  // one client message, then onClientDone
  const int maxRequestBytes_;
  const RequestContext context_;
  const std::shared_ptr<Shared> shared_;

  // gRPC's read target and the message it is parsed into: used only by the
  // read reaction (one read outstanding at a time).
  grpc::ByteBuffer requestBytes_;
  std::unique_ptr<google::protobuf::Message> request_;
  bool gotMessage_ = false;

  // All below: guarded by shared_->mu.
  grpc::ByteBuffer writing_;  // the write in flight, if writeInFlight_
  bool writeInFlight_ = false;
  std::optional<grpc::Status> finishStatus_;  // finish once no write is in flight
  bool finished_ = false;                     // Finish was called
};

}  // namespace cairn::api
