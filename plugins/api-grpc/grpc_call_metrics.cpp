#include "grpc_call_metrics.h"

#include <google/protobuf/descriptor.h>

namespace cairn::api {
namespace {

namespace gx = grpc::experimental;

const char* grpcType(const google::protobuf::MethodDescriptor& m) {
  if (m.client_streaming()) return m.server_streaming() ? "bidi_stream" : "client_stream";
  return m.server_streaming() ? "server_stream" : "unary";
}

class CallCounter final : public gx::Interceptor {
 public:
  explicit CallCounter(const GrpcCallMetrics::MethodCounters& counters) : counters_(counters) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            gx::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      counters_.started->inc();
    }
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      if (code >= 0 && code < GrpcCallMetrics::kCodes) counters_.handled[code]->inc();
    }
    methods->Proceed();
  }

 private:
  const GrpcCallMetrics::MethodCounters& counters_;  // lives as long as the factory
};

}  // namespace

const char* grpcCodeName(int code) {
  static const char* const kNames[GrpcCallMetrics::kCodes] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code < GrpcCallMetrics::kCodes ? kNames[code] : "Unknown";
}

GrpcCallMetrics::GrpcCallMetrics(Metrics& metrics, const std::vector<std::string>& services) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor& m = *service->method(i);
      const MetricLabels labels = {
          {"grpc_method", m.name()}, {"grpc_service", name}, {"grpc_type", grpcType(m)}};
      MethodCounters c;
      c.started = metrics.counter("grpc_server_started_total",
                                  "Total number of RPCs started on the server.", labels);
      for (int code = 0; code < kCodes; ++code) {
        MetricLabels withCode = labels;
        withCode.insert(withCode.begin(), {"grpc_code", grpcCodeName(code)});
        c.handled[code] = metrics.counter(
            "grpc_server_handled_total",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            withCode);
      }
      bool complete = c.started != nullptr;
      for (Counter* h : c.handled) complete = complete && h != nullptr;
      // A name another component registered with another kind: not counted.
      if (complete) methods_.emplace("/" + name + "/" + m.name(), c);
    }
  }
}

const GrpcCallMetrics::MethodCounters* GrpcCallMetrics::takeOver(const std::string& method) {
  auto it = methods_.find(method);
  if (it == methods_.end()) return nullptr;
  takenOver_.insert(method);
  return &it->second;
}

gx::Interceptor* GrpcCallMetrics::CreateServerInterceptor(gx::ServerRpcInfo* info) {
  auto it = methods_.find(info->method());
  if (it == methods_.end() || takenOver_.count(it->first) != 0) return nullptr;
  return new CallCounter(it->second);
}

}  // namespace cairn::api
