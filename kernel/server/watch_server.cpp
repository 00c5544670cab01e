#include "watch_server.h"

#include "watch_session.h"

namespace cairn::server {

std::unique_ptr<WatchSession> WatchServer::open(std::function<void()> onReady) {
  return std::make_unique<ServerWatchSession>(server_, std::move(onReady));
}

}  // namespace cairn::server
