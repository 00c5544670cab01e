#include "watch_grpc_service.h"

#include "watch_reactor.h"

namespace cairn::api {

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* WatchGrpcService::Watch(
    grpc::CallbackServerContext* context) {
  return new WatchReactor(*context, watch_, maxRequestBytes_, counters_);
}

}  // namespace cairn::api
