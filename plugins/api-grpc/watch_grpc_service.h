// WatchGrpcService: etcd's Watch gRPC service on gRPC's callback API; each
// stream is a WatchReactor over one kernel WatchSession.
//
// Responses are sent as the kernel made them: it fragments large ones for
// clients that asked for fragments, and the server's send limit is etcd's
// (math.MaxInt32), so a whole-revision response is never refused here.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

// Served raw (see wire_codec.h).
class WatchGrpcService final
    : public etcdserverpb::Watch::WithRawCallbackMethod_Watch<etcdserverpb::Watch::Service> {
 public:
  // `watch` must outlive the gRPC server this service is registered with.
  // `maxRequestBytes`: the receive limit clients see (see KvGrpcService).
  WatchGrpcService(WatchService& watch, int maxRequestBytes)
      : watch_(watch), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Watch(
      grpc::CallbackServerContext* context) override;

 private:
  WatchService& watch_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
