// WatchStreamCall: the kernel's Watch session seen as a StreamCall, so the
// gateway serves POST /v3/watch as it serves any registered stream.
//
// The stream stays open after the request body ends, as etcd's: its watch
// server keeps a stream whose client half-closed, and the gateway keeps
// reading responses until the HTTP client goes away.
#pragma once

#include <functional>
#include <memory>

#include "cairn/host.h"
#include "cairn/service.h"

namespace cairn::apihttp {

class WatchStreamCall final : public StreamCall {
 public:
  WatchStreamCall(WatchService& watch, const RequestContext& ctx, std::function<void()> onReady)
      : session_(watch.open(ctx, std::move(onReady))) {}

  void onMessage(const google::protobuf::Message& request) override;
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override;
  void close() override { session_->close(); }

 private:
  // Thread-safe itself; the pointer is set once in the constructor.
  const std::unique_ptr<WatchSession> session_;
};

}  // namespace cairn::apihttp
