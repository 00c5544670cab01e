#include "watch_server.h"

#include "refused_watch_session.h"
#include "watch_session.h"

namespace cairn::server {

std::unique_ptr<WatchSession> WatchServer::open(const RequestContext& ctx,
                                                std::function<void()> onReady) {
  if (Status st = c_.gate.admit(ctx); !st) return std::make_unique<RefusedWatchSession>(st);
  ServerWatchSession::Access access;
  if (c_.authorizer != nullptr && !ctx.trusted) {
    access.authorizer = c_.authorizer;
    access.authenticated = c_.authorizer->authenticate(ctx, &access.who);
  }
  // Ended once the member has had no leader for a while.
  LeaderMonitor* monitor = ctx.requireLeader ? c_.leaderMonitor : nullptr;
  return std::make_unique<ServerWatchSession>(c_.watchHub, c_.cluster, std::move(access),
                                              std::move(onReady), monitor);
}

}  // namespace cairn::server
