// Election.Observe: a stream of LeaderResponse, one per leader and one per
// value the leader proclaims, following etcd 3.4's observe loop
// (clientv3/concurrency/election.go):
//
//   read the first-created key under `<name>/`;
//   none: watch the prefix from that read's revision and take the first PUT
//         (its header revision set to the PUT's mod revision);
//   send it; watch that key from the next revision, sending every PUT, until
//   it is deleted; then read again.
//
// A read or watch that fails ends the stream with OK, as etcd's does.
//
// Flow control: the frontend takes responses with poll(); this call stops
// draining its watch session while kMaxQueued responses wait, so a slow
// observer makes the kernel's watch buffer (and, past its bound, catch up
// from history) instead of growing memory here.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core.h"
#include "v3electionpb/v3election.pb.h"

namespace cairn::concurrency {

class ObserveCall final : public Call {
 public:
  static constexpr size_t kMaxQueued = 16;

  ObserveCall(Core& core, RequestContext ctx, std::function<void()> onReady)
      : Call(core, std::move(ctx)), onReady_(std::move(onReady)) {}
  ~ObserveCall() override;

  // The StreamCall handed to the frontend; closing it (or destroying it)
  // ends the call.
  static std::unique_ptr<StreamCall> open(const std::shared_ptr<Core>& core,
                                          const RequestContext& ctx, std::function<void()> onReady);

  // Loop thread.
  void start() override;
  void abandon(Status why) override;

  // Frontend threads (through the StreamCall).
  void setRequest(const v3electionpb::LeaderRequest& req);  // before launch
  StreamCall::Next take(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus);
  void clientClosed();

 private:
  enum class Phase { Idle, Reading, AwaitingFirstPut, Following, Ended };

  void readLeader();
  void onLeader(Status st, etcdserverpb::RangeResponse&& resp);
  void watch(const std::string& key, const std::string& rangeEnd, int64_t fromRevision);
  void cancelWatch();
  void pump();
  void onWatchResponse(etcdserverpb::WatchResponse& resp);
  // Queues one response; false once the queue is full (stop pumping).
  void emit(const etcdserverpb::ResponseHeader& header, const mvccpb::KeyValue& kv);
  void end(Status st);
  void closeSession();
  // Calls onReady_ if the frontend is waiting for it.
  void signal();

  // Loop thread.
  v3electionpb::LeaderRequest req_;  // written once before launch
  std::string prefix_;
  Phase phase_ = Phase::Idle;
  std::unique_ptr<WatchSession> session_;
  int64_t watchId_ = 0;
  int64_t lastWatchId_ = 0;

  // Shared with the frontend's threads.
  std::mutex mu_;
  std::deque<v3electionpb::LeaderResponse> queue_;  // guarded by mu_
  bool ended_ = false;                              // guarded by mu_
  Status finalStatus_;                              // guarded by mu_
  bool armed_ = true;     // guarded by mu_: poll() found nothing; signal the next response
  bool stalled_ = false;  // guarded by mu_: pumping paused on a full queue
  bool closed_ = false;   // guarded by mu_: the frontend closed; never signal again
  // Held while onReady_ runs so clientClosed() returning means it is not
  // running and will not run again.
  std::mutex signalMu_;
  std::function<void()> onReady_;  // guarded by signalMu_
};

}  // namespace cairn::concurrency
