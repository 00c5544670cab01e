#include "core.h"

#include <future>
#include <vector>

#include "recipe.h"

namespace cairn::concurrency {

Status asClientError(const Status& st) {
  if (st.isOk() || st.code() == StatusCode::Cancelled ||
      st.code() == StatusCode::DeadlineExceeded) {
    return st;
  }
  return Status(StatusCode::Unknown, st.message());
}

bool contextDone(const RequestContext& ctx) {
  return ctx.cancelled() || std::chrono::steady_clock::now() >= ctx.deadline;
}

Status contextStatus(const RequestContext& ctx) {
  if (std::chrono::steady_clock::now() >= ctx.deadline) {
    return Status(StatusCode::DeadlineExceeded, "context deadline exceeded");
  }
  return Status(StatusCode::Cancelled, "context canceled");
}

RequestContext detached(const RequestContext& ctx) {
  RequestContext out;
  out.token = ctx.token;
  out.tlsCommonName = ctx.tlsCommonName;
  out.trusted = ctx.trusted;
  return out;  // fresh CancelToken, no deadline
}

// ------------------------------------------------------------------ Call

void Call::markFinished() {
  finished_ = true;
  if (id_ != 0) core_.unregister(id_);
}

void Call::withSessionLease(int64_t lease, std::function<void(Status, int64_t)> next) {
  if (lease != 0) {
    next(Status::ok(), lease);
    return;
  }
  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(kDefaultSessionTtl);
  core_.host().lease().grant(
      ctx_, grant,
      core_.resume<etcdserverpb::LeaseGrantResponse>(
          shared_from_this(),
          [next = std::move(next)](Status st, etcdserverpb::LeaseGrantResponse&& r) {
            const int64_t id = st ? r.id() : 0;
            next(std::move(st), id);
          }));
}

void Call::cleanupDelete(const std::string& key) {
  etcdserverpb::DeleteRangeRequest del;
  del.set_key(key);
  core_.host().kv().deleteRange(detached(ctx_), del,
                                core_.ignore<etcdserverpb::DeleteRangeResponse>());
}

// ------------------------------------------------------------------ Core

Core::Core() : loop_(kSweepInterval, [this] { sweep(); }) {}

Core::~Core() {
  stop();
}

Status Core::start(Host& host) {
  if (state_.load() != State::NotStarted) {
    return Status(StatusCode::FailedPrecondition, "concurrency: started twice");
  }
  host_ = &host;
  loop_.start();
  state_.store(State::Running);
  return Status::ok();
}

void Core::stop() {
  if (state_.exchange(State::Stopped) != State::Running) return;
  // End every call on the loop, where their state lives; their cleanup
  // writes are counted in flight.
  std::promise<void> ended;
  if (loop_.post([this, &ended] {
        shutdown();
        ended.set_value();
      })) {
    ended.get_future().wait();
  }
  {
    std::unique_lock<std::mutex> lock(inflightMu_);
    inflightCv_.wait_for(lock, kStopGrace, [this] { return inflight_ == 0; });
  }
  loop_.stop();
}

void Core::launch(std::shared_ptr<Call> call) {
  const State state = state_.load();
  if (state != State::Running) {
    call->abandon(Status(state == State::NotStarted ? Error::NotCapable : Error::Stopped));
    return;
  }
  const bool posted = loop_.post([this, call] {
    if (stopping_) {
      call->abandon(Status(Error::Stopped));
      return;
    }
    call->id_ = nextId_++;
    calls_.emplace(call->id_, call);
    loop_.tickBy(call->context().deadline);
    call->start();
  });
  if (!posted) call->abandon(Status(Error::Stopped));
}

void Core::unregister(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  // The registry may hold the last reference while one of the call's own
  // methods is running (a DeleteWaiter's completion is anchored to the
  // waiter, not the call): release it from a later task instead.
  std::shared_ptr<Call> doomed = std::move(it->second);
  calls_.erase(it);
  loop_.post([doomed = std::move(doomed)] {});
}

void Core::sweep() {
  std::vector<std::shared_ptr<Call>> late;
  for (const auto& [id, call] : calls_) {
    if (contextDone(call->context())) late.push_back(call);
  }
  for (const auto& call : late) {
    if (!call->finished()) call->abandon(contextStatus(call->context()));
  }
  // The next deadline gets its own wake-up (onTick moved the next tick a
  // full interval away).
  for (const auto& [id, call] : calls_) loop_.tickBy(call->context().deadline);
}

void Core::shutdown() {
  stopping_ = true;
  std::vector<std::shared_ptr<Call>> live;
  for (const auto& [id, call] : calls_) live.push_back(call);
  for (const auto& call : live) {
    if (!call->finished()) call->abandon(Status(Error::Stopped));
  }
  calls_.clear();
}

void Core::beginRequest() {
  std::lock_guard<std::mutex> lock(inflightMu_);
  ++inflight_;
}

void Core::endRequest() {
  std::lock_guard<std::mutex> lock(inflightMu_);
  if (--inflight_ == 0) inflightCv_.notify_all();
}

}  // namespace cairn::concurrency
