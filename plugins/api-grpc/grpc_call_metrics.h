// GrpcCallMetrics: the per-method call counters etcd exports through
// go-grpc-prometheus, grpc_server_started_total and grpc_server_handled_total
// with its labels (grpc_type, grpc_service, grpc_method, grpc_code), so
// etcd's dashboards and alerts (request rates, error ratios) read Cairn.
//
// A server interceptor counts every call at its start and at the status it
// ends with, for regular and generic services alike. As etcd does, every
// series of every served method exists from the start (zero-valued), so the
// counters are all created here and the call path only increments.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cairn/metrics.h"

namespace cairn::api {

class GrpcCallMetrics final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `services`: full proto names of every service served; their methods are
  // read from the generated descriptor pool.
  GrpcCallMetrics(Metrics& metrics, const std::vector<std::string>& services);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // gRPC's 17 status codes.
  static constexpr int kCodes = 17;
  struct MethodCounters {
    Counter* started = nullptr;
    std::array<Counter*, kCodes> handled{};
  };

  // The counters of "/service/method" (null if it has none), which its
  // handler then increments itself: no interceptor is made for its calls.
  // An interceptor runs gRPC's hook machinery on every batch of a call,
  // each message written included, which a busy watch stream pays per
  // response; counting at the call's start and Finish is the same count.
  // Before the server starts (the table is read-only after).
  const MethodCounters* takeOver(const std::string& method);

 private:
  // By "/service/method"; read-only after construction, read by gRPC's
  // threads.
  std::unordered_map<std::string, MethodCounters> methods_;
  std::unordered_set<std::string> takenOver_;  // counted by their handlers
};

// Go's codes.Code.String() for `code` (0..16).
const char* grpcCodeName(int code);

}  // namespace cairn::api
