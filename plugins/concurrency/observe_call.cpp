#include "observe_call.h"

#include <utility>

#include "recipe.h"

namespace cairn::concurrency {
namespace {

// What the frontend holds. It owns a reference to the call only; the call
// itself lives in the core's registry until it ends on the loop.
class ObserveStream final : public StreamCall {
 public:
  ObserveStream(std::shared_ptr<Core> core, std::shared_ptr<ObserveCall> call)
      : core_(std::move(core)), call_(std::move(call)) {}
  ~ObserveStream() override { close(); }

  void onMessage(const google::protobuf::Message& request) override {
    if (launched_) return;  // a server-streaming call carries exactly one request
    launched_ = true;
    call_->setRequest(static_cast<const v3electionpb::LeaderRequest&>(request));
    core_->launch(call_);
  }
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override {
    return call_->take(out, finalStatus);
  }
  void close() override { call_->clientClosed(); }

 private:
  std::shared_ptr<Core> core_;
  std::shared_ptr<ObserveCall> call_;
  bool launched_ = false;  // the frontend's thread (onMessage is not concurrent with itself)
};

}  // namespace

std::unique_ptr<StreamCall> ObserveCall::open(const std::shared_ptr<Core>& core,
                                              const RequestContext& ctx,
                                              std::function<void()> onReady) {
  auto call = std::make_shared<ObserveCall>(*core, ctx, std::move(onReady));
  return std::make_unique<ObserveStream>(core, std::move(call));
}

ObserveCall::~ObserveCall() {
  closeSession();
}

void ObserveCall::setRequest(const v3electionpb::LeaderRequest& req) {
  req_ = req;
}

// ------------------------------------------------------------------ loop side

void ObserveCall::start() {
  prefix_ = keyPrefix(req_.name());
  readLeader();
}

void ObserveCall::readLeader() {
  phase_ = Phase::Reading;
  core_.host().kv().range(
      ctx_, firstCreated(prefix_),
      core_.resume<etcdserverpb::RangeResponse>(
          shared_from_this(), [this](Status st, etcdserverpb::RangeResponse&& resp) {
            onLeader(std::move(st), std::move(resp));
          }));
}

void ObserveCall::onLeader(Status st, etcdserverpb::RangeResponse&& resp) {
  if (finished()) return;
  if (!st) {
    end(Status::ok());
    return;
  }
  if (resp.kvs_size() == 0) {
    phase_ = Phase::AwaitingFirstPut;
    watch(prefix_, prefixRangeEnd(prefix_), resp.header().revision());
    return;
  }
  const mvccpb::KeyValue& kv = resp.kvs(0);
  emit(resp.header(), kv);
  phase_ = Phase::Following;
  watch(kv.key(), "", resp.header().revision() + 1);
}

void ObserveCall::watch(const std::string& key, const std::string& rangeEnd, int64_t fromRevision) {
  if (!session_) {
    std::weak_ptr<Call> weak = weak_from_this();
    Core* core = &core_;
    // onReady runs under the session's lock: only queue the pump.
    session_ = core_.host().watch().open(ctx_, [weak, core] {
      core->post([weak] {
        if (auto self = weak.lock()) static_cast<ObserveCall*>(self.get())->pump();
      });
    });
  }
  watchId_ = ++lastWatchId_;
  etcdserverpb::WatchRequest req;
  auto* create = req.mutable_create_request();
  create->set_key(key);
  create->set_range_end(rangeEnd);
  create->set_start_revision(fromRevision);
  create->set_watch_id(watchId_);
  session_->request(req);
}

void ObserveCall::cancelWatch() {
  if (!session_ || watchId_ == 0) return;
  etcdserverpb::WatchRequest req;
  req.mutable_cancel_request()->set_watch_id(watchId_);
  watchId_ = 0;
  session_->request(req);
}

void ObserveCall::pump() {
  if (finished() || !session_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stalled_ = false;
  }
  etcdserverpb::WatchResponse resp;
  while (!finished() && session_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() >= kMaxQueued) {
        stalled_ = true;  // take() re-posts pump() once the observer caught up
        return;
      }
    }
    if (!session_->poll(&resp)) return;
    onWatchResponse(resp);
  }
}

void ObserveCall::onWatchResponse(etcdserverpb::WatchResponse& resp) {
  if (watchId_ == 0 || resp.watch_id() != watchId_) return;  // an earlier watcher's tail
  if (resp.canceled()) {
    end(Status::ok());  // the watch was disrupted (compaction): etcd closes the stream
    return;
  }
  for (const mvccpb::Event& ev : resp.events()) {
    if (phase_ == Phase::AwaitingFirstPut) {
      if (ev.type() != mvccpb::Event::PUT) continue;  // a delete does not elect anyone
      etcdserverpb::ResponseHeader header = resp.header();
      header.set_revision(ev.kv().mod_revision());
      emit(header, ev.kv());
      cancelWatch();
      phase_ = Phase::Following;
      watch(ev.kv().key(), "", header.revision() + 1);
      return;
    }
    if (ev.type() == mvccpb::Event::DELETE) {
      cancelWatch();
      readLeader();  // the leader is gone: who leads now?
      return;
    }
    emit(resp.header(), ev.kv());  // the leader proclaimed a new value
  }
}

void ObserveCall::emit(const etcdserverpb::ResponseHeader& header, const mvccpb::KeyValue& kv) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    v3electionpb::LeaderResponse out;
    *out.mutable_header() = header;
    *out.mutable_kv() = kv;
    queue_.push_back(std::move(out));
  }
  signal();
}

void ObserveCall::end(Status st) {
  if (finished()) return;
  phase_ = Phase::Ended;
  closeSession();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    finalStatus_ = std::move(st);
  }
  signal();
  markFinished();
}

void ObserveCall::abandon(Status why) {
  end(std::move(why));
}

void ObserveCall::closeSession() {
  if (session_) {
    session_->close();
    session_.reset();
  }
  watchId_ = 0;
}

void ObserveCall::signal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!armed_ || closed_) return;
    armed_ = false;
  }
  std::lock_guard<std::mutex> lock(signalMu_);
  if (onReady_) onReady_();
}

// ------------------------------------------------------------------ frontend side

StreamCall::Next ObserveCall::take(std::unique_ptr<google::protobuf::Message>* out,
                                   Status* finalStatus) {
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queue_.empty()) {
      *out = std::make_unique<v3electionpb::LeaderResponse>(std::move(queue_.front()));
      queue_.pop_front();
      if (stalled_ && queue_.size() < kMaxQueued / 2) {
        stalled_ = false;
        resume = true;
      }
    } else if (ended_) {
      *finalStatus = finalStatus_;
      return StreamCall::Next::Finished;
    } else {
      armed_ = true;
      return StreamCall::Next::Idle;
    }
  }
  if (resume) {
    std::weak_ptr<Call> weak = weak_from_this();
    core_.post([weak] {
      if (auto self = weak.lock()) static_cast<ObserveCall*>(self.get())->pump();
    });
  }
  return StreamCall::Next::Message;
}

void ObserveCall::clientClosed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(signalMu_);
    onReady_ = nullptr;
  }
  // The call's state lives on the loop: end it there. If the loop has
  // stopped, shutdown already ended it.
  std::shared_ptr<Call> self = shared_from_this();
  core_.post([self] {
    auto* call = static_cast<ObserveCall*>(self.get());
    if (!call->finished()) call->end(Status(StatusCode::Cancelled, "context canceled"));
  });
}

}  // namespace cairn::concurrency
