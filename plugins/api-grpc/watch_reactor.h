// WatchReactor: one Watch stream, bridging gRPC's one-write-at-a-time
// callback stream to the kernel's pull-based WatchSession.
//
// Reads: each client message goes to session->request() in arrival order;
// the next read starts after it. A client half-close ends only the reads:
// like etcd, the stream keeps sending until the client cancels.
//
// Writes: one "pump" at a time takes responses with poll() and writes them,
// one write in flight; StartWrite is called without the mutex, because gRPC
// may complete a buffered write inline. The pump polls one response ahead: while another one
// is already waiting, the write goes out with gRPC's buffer hint, so chttp2
// completes it at once and coalesces a burst into few HTTP/2 writes (as
// grpc-go's loopy writer does for etcd) instead of one syscall and one
// round through the completion queue per watch response; the last response
// of a burst is written without the hint, which flushes everything, and so is
// every write after 16 KiB of hinted ones (kHintedBytesMax): its completion
// waits until it is written out, so a flooded stream's backlog stays in the
// kernel's queue, where it is bounded and merged. The pump is owned (pumping)
// from the moment someone decides to poll until poll() comes back empty; onReady arriving while it
// is owned only sets readyAgain, which makes the owner poll once more before letting go. Both flags
// change under the mutex, so a response queued between an empty poll() and the release is always
// seen by someone: either the owner (readyAgain set before it released) or a new pump (onReady
// after release). onReady itself never polls or writes: it posts the pump to the server's pump
// thread (runOnGrpcExecutor), keeping the kernel's thread free, as the session contract asks. After
// a write completes, its callback thread pumps.
//
// Served raw (see wire_codec.h): each client message is decoded here, and
// one that does not parse ends the stream with grpc-go's INTERNAL status.
//
// Safety: everything that may outlive the reactor (onReady, posted pumps)
// holds the shared block, never the reactor; OnDone clears the block's
// reactor pointer under its mutex, then closes the session, after which the
// kernel calls onReady no more. poll() and request() run without the mutex
// (they may call onReady, which takes it); StartRead/StartWrite/Finish run
// under it with `finished_` checked, so nothing starts after Finish.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpc_call_metrics.h"

namespace cairn::api {

class WatchReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `watch` must outlive the gRPC server. Requests larger than
  // `maxRequestBytes` end the stream with RESOURCE_EXHAUSTED. The session is
  // opened with the stream's RequestContext (from `call`). `counters` (may
  // be null): grpc_server_started_total/handled_total of the method, counted
  // here at the start and at Finish (no interceptor runs on this call).
  WatchReactor(const grpc::CallbackServerContext& call, WatchService& watch, int maxRequestBytes,
               const GrpcCallMetrics::MethodCounters* counters = nullptr);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Shared : std::enable_shared_from_this<Shared> {
    // Runs on the session's onReady: take the pump or flag readyAgain.
    void onReady();
    // Runs by the pump's owner, without mu: poll until a write starts, or the
    // queue is empty and no onReady came meanwhile.
    void pump();
    // Hands pump() to the pump thread (runOnGrpcExecutor).
    void postPump();

    std::mutex mu;
    // All below: guarded by mu.
    WatchReactor* reactor = nullptr;  // null once OnDone ran
    bool pumping = false;             // someone polls, or a write is in flight
    bool readyAgain = false;          // onReady came while pumping
    // A response polled ahead by the pump owner is in `aheadBytes`, written
    // next.
    bool haveAhead = false;
    // Owned by the pump's owner (one at a time, handed over under mu): the
    // encoded response being taken, and the one polled ahead of it. Reused
    // from response to response, so polling allocates nothing once warm.
    std::string takenBytes;
    std::string aheadBytes;
    // Set once, before any onReady can come (the queue starts empty); closed
    // by OnDone, destroyed with the block (after every pump let go of it).
    std::unique_ptr<WatchSession> session;
  };

  // All *Locked methods run with shared_->mu held.
  // Copies the encoded response into the write buffer and marks the write
  // in flight; the caller then calls StartWrite without the mutex. `more`:
  // another response follows at once (write with the buffer hint, unless
  // 16 KiB went out hinted since the last flush).
  void startWriteLocked(const std::string& response, bool more, grpc::WriteOptions* options);
  // A write completed: false if the pump stops (the stream is finishing).
  bool writeDoneLocked(bool ok);
  void finishAfterWriteLocked(const grpc::Status& status);
  void maybeFinishLocked();

  const int maxRequestBytes_;
  const GrpcCallMetrics::MethodCounters* const counters_;
  const RequestContext context_;
  const std::shared_ptr<Shared> shared_;

  // gRPC's read target: written by gRPC between StartRead and OnReadDone,
  // read only in OnReadDone (one read outstanding at a time).
  grpc::ByteBuffer requestBytes_;

  // All below: guarded by shared_->mu.
  grpc::ByteBuffer writing_;  // the write in flight, if writeInFlight_
  bool writeInFlight_ = false;
  bool wroteOnce_ = false;                    // the initial metadata went out with a write
  std::size_t hintedBytes_ = 0;               // written with the hint since the last flush
  std::optional<grpc::Status> finishStatus_;  // finish once no write is in flight
  bool finished_ = false;                     // Finish was called
};

}  // namespace cairn::api
