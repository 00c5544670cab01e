// WatchServer: the etcd v3 Watch service as the kernel offers it to API
// plugins; each open() is one client stream on the server's watch hub.
#pragma once

#include "cairn/host.h"

namespace cairn::server {

class Server;

class WatchServer final : public WatchService {
 public:
  explicit WatchServer(Server& server) : server_(server) {}
  std::unique_ptr<WatchSession> open(std::function<void()> onReady) override;

 private:
  Server& server_;
};

}  // namespace cairn::server
