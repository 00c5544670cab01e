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
#include "grpc_call_metrics.h"

namespace cairn::api {

// Served raw (see wire_codec.h).
class WatchGrpcService final
    : public etcdserverpb::Watch::WithRawCallbackMethod_Watch<etcdserverpb::Watch::Service> {
 public:
  // `watch` must outlive the gRPC server this service is registered with.
  // `maxRequestBytes`: the receive limit clients see (see KvGrpcService).
  // `counters` (may be null): the method's call counters, incremented by
  // each stream (see GrpcCallMetrics::takeOver); they outlive the server.
  WatchGrpcService(WatchService& watch, int maxRequestBytes,
                   const GrpcCallMetrics::MethodCounters* counters = nullptr)
      : watch_(watch), maxRequestBytes_(maxRequestBytes), counters_(counters) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Watch(
      grpc::CallbackServerContext* context) override;

 private:
  WatchService& watch_;
  const int maxRequestBytes_;
  const GrpcCallMetrics::MethodCounters* const counters_;
};

}  // namespace cairn::api
