#include "watch_grpc_service.h"

#include "watch_reactor.h"

namespace cairn::api {

grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>*
WatchGrpcService::Watch(grpc::CallbackServerContext* /*context*/) {
  return new WatchReactor(watch_, maxRequestBytes_);
}

}  // namespace cairn::api
