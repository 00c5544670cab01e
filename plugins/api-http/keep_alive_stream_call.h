// KeepAliveStreamCall: LeaseKeepAlive over the gateway (POST
// /v3/lease/keepalive) as a StreamCall. Each request in the body is one
// keep-alive; the answers come back in request order, and the call ends once
// the body is exhausted and every keep-alive is answered (etcd's keep-alive
// server returns when its client half-closes, after answering what it read).
//
// The keep-alives are issued together rather than one after another: each
// is idempotent, and issuing them from completions would nest one call per
// request on the stack.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "cairn/host.h"
#include "cairn/service.h"

namespace cairn::apihttp {

class KeepAliveStreamCall final : public StreamCall {
 public:
  KeepAliveStreamCall(LeaseService& lease, RequestContext ctx, std::function<void()> onReady);

  void onMessage(const google::protobuf::Message& request) override;
  void onClientDone() override;
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override;
  void close() override;

 private:
  // Shared with the kernel's completions, which may outlive the call.
  struct State {
    std::mutex mu;
    // All below: guarded by mu. Slot i answers request i; answered slots
    // before `nextOut` have been taken.
    std::deque<std::optional<etcdserverpb::LeaseKeepAliveResponse>> slots;
    std::size_t firstSlot = 0;  // the request number of slots.front()
    std::optional<std::size_t> failedAt;
    Status failure;
    bool clientDone = false;
    bool closed = false;
    std::function<void()> onReady;  // called under mu, so never after close()

    void complete(std::size_t slot, Status st, etcdserverpb::LeaseKeepAliveResponse&& response);
  };

  LeaseService& lease_;
  const RequestContext ctx_;
  const std::shared_ptr<State> state_;
  std::size_t issued_ = 0;  // onMessage's thread only (the frontend feeds serially)
};

}  // namespace cairn::apihttp
