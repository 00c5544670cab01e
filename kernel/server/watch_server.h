// WatchServer: the etcd v3 Watch service as the kernel offers it to
// plugins; each open() is one client stream on the member's watch hub. With
// auth on, the caller is authenticated once when the stream opens.
//
// Threads: any caller.
#pragma once

#include "cairn/host.h"
#include "service_context.h"

namespace cairn::server {

class WatchServer final : public WatchService {
 public:
  explicit WatchServer(ServiceContext context) : c_(context) {}
  std::unique_ptr<WatchSession> open(const RequestContext& ctx,
                                     std::function<void()> onReady) override;

 private:
  ServiceContext c_;
};

}  // namespace cairn::server
