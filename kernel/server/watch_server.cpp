#include "watch_server.h"

#include "watch_session.h"

namespace cairn::server {

std::unique_ptr<WatchSession> WatchServer::open(const RequestContext& ctx,
                                                std::function<void()> onReady) {
  ServerWatchSession::Access access;
  if (c_.authorizer != nullptr && !ctx.trusted) {
    access.authorizer = c_.authorizer;
    access.authenticated = c_.authorizer->authenticate(ctx, &access.who);
  }
  return std::make_unique<ServerWatchSession>(c_.watchHub, c_.cluster, std::move(access),
                                              std::move(onReady));
}

}  // namespace cairn::server
