// LeaseKeepAliveReactor: one LeaseKeepAlive stream.
//
// Like etcd's stream, it handles one request at a time: read, renew in the
// kernel (which may take up to a request timeout when an expired lease awaits
// its revoke), answer; the next request is read only once the answer is
// queued, so answers keep request order. Answers wait in an outbox with one
// write in flight. An error from the kernel ends the stream with that status,
// after the answers already queued; the client half-closing ends it with OK,
// likewise after them.
//
// Served raw (see wire_codec.h): each request is decoded here, and one that
// does not parse ends the stream with grpc-go's INTERNAL status.
//
// Safety: the reactor is touched from gRPC's callback threads and from the
// kernel's `done`, which may run after the stream ended and the reactor was
// deleted. `done` holds only the shared block; the reactor clears the block's
// pointer in OnDone under the block's mutex, and every change to the stream
// (StartRead, StartWrite, Finish) happens under that mutex with `finished_`
// checked, so nothing starts an operation after Finish. Holding the mutex
// across those calls is safe because gRPC never runs this reactor's reactions
// inline inside them. The kernel is called without the mutex, as its `done`
// may run inline.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

class LeaseKeepAliveReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `lease` must outlive the gRPC server. Requests larger than
  // `maxRequestBytes` end the stream with RESOURCE_EXHAUSTED. Every
  // keep-alive carries the stream's RequestContext (from `call`).
  LeaseKeepAliveReactor(const grpc::CallbackServerContext& call, LeaseService& lease,
                        int maxRequestBytes);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Shared {
    std::mutex mu;
    // Null once OnDone ran; guarded by mu.
    LeaseKeepAliveReactor* reactor = nullptr;
  };

  // All *Locked methods run with shared_->mu held.
  void onAnswerLocked(uint64_t seq, const Status& status,
                      etcdserverpb::LeaseKeepAliveResponse&& response);
  void writeNextLocked();
  void finishAfterWritesLocked(const grpc::Status& status);
  void maybeFinishLocked();

  LeaseService& lease_;
  const int maxRequestBytes_;
  const RequestContext context_;
  const std::shared_ptr<Shared> shared_;

  // gRPC's read target: written by gRPC between StartRead and OnReadDone,
  // read only in OnReadDone (one read outstanding at a time).
  grpc::ByteBuffer requestBytes_;

  // All below: guarded by shared_->mu.
  std::deque<etcdserverpb::LeaseKeepAliveResponse> outbox_;  // front is in flight if writing_
  grpc::ByteBuffer writeBytes_;  // the front of outbox_, encoded, while writing_
  bool writing_ = false;
  uint64_t nextSeq_ = 1;
  uint64_t awaitedSeq_ = 0;  // the request the kernel is renewing; 0 if none
  bool readsDone_ = false;   // the client half-closed (or the read failed)
  bool broken_ = false;      // cancelled or a write failed: finish without writing more
  std::optional<grpc::Status> finishStatus_;  // finish with this once the outbox is empty
  bool finished_ = false;                     // Finish was called
};

}  // namespace cairn::api
