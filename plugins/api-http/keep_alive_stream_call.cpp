#include "keep_alive_stream_call.h"

namespace cairn::apihttp {

KeepAliveStreamCall::KeepAliveStreamCall(LeaseService& lease, RequestContext ctx,
                                         std::function<void()> onReady)
    : lease_(lease), ctx_(std::move(ctx)), state_(std::make_shared<State>()) {
  state_->onReady = std::move(onReady);
}

void KeepAliveStreamCall::onMessage(const google::protobuf::Message& request) {
  const std::size_t slot = issued_++;
  {
    std::lock_guard lk(state_->mu);
    if (state_->closed || state_->failedAt) return;
    state_->slots.emplace_back();
  }
  lease_.keepAlive(ctx_, static_cast<const etcdserverpb::LeaseKeepAliveRequest&>(request),
                   [state = state_, slot](Status st, etcdserverpb::LeaseKeepAliveResponse&& r) {
                     state->complete(slot, std::move(st), std::move(r));
                   });
}

void KeepAliveStreamCall::State::complete(std::size_t slot, Status st,
                                          etcdserverpb::LeaseKeepAliveResponse&& response) {
  std::lock_guard lk(mu);
  if (closed || slot < firstSlot) return;
  if (!st) {
    // The first failure ends the call there: what came before it is still
    // delivered, nothing after it.
    if (!failedAt || slot < *failedAt) {
      failedAt = slot;
      failure = std::move(st);
    }
  } else {
    slots[slot - firstSlot] = std::move(response);
  }
  if (onReady) onReady();
}

void KeepAliveStreamCall::onClientDone() {
  std::lock_guard lk(state_->mu);
  state_->clientDone = true;
  if (state_->onReady) state_->onReady();
}

StreamCall::Next KeepAliveStreamCall::poll(std::unique_ptr<google::protobuf::Message>* out,
                                           Status* finalStatus) {
  std::lock_guard lk(state_->mu);
  State& s = *state_;
  if (s.failedAt && *s.failedAt == s.firstSlot) {
    *finalStatus = s.failure;
    return Next::Finished;
  }
  if (!s.slots.empty() && s.slots.front()) {
    *out = std::make_unique<etcdserverpb::LeaseKeepAliveResponse>(std::move(*s.slots.front()));
    s.slots.pop_front();
    ++s.firstSlot;
    return Next::Message;
  }
  if (s.slots.empty() && s.clientDone) {
    *finalStatus = Status::ok();
    return Next::Finished;
  }
  return Next::Idle;
}

void KeepAliveStreamCall::close() {
  std::lock_guard lk(state_->mu);
  state_->closed = true;
  state_->onReady = nullptr;
  state_->slots.clear();
}

}  // namespace cairn::apihttp
