#include "generic_grpc_service.h"

#include <google/protobuf/descriptor.h>

#include "generic_unary_reactor.h"
#include "stream_call_reactor.h"

namespace cairn::api {
namespace {

class UnimplementedReactor final : public grpc::ServerGenericBidiReactor {
 public:
  // Finishing without reading is allowed; gRPC discards what the client sends.
  explicit UnimplementedReactor(std::string message) {
    Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::move(message)));
  }
  void OnDone() override { delete this; }
};

// Splits "/pkg.Service/Method"; false if malformed.
bool splitMethod(std::string_view fullMethod, std::string* service, std::string* method) {
  std::string_view path = fullMethod;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return false;
  *service = std::string(path.substr(0, slash));
  *method = std::string(path.substr(slash + 1));
  return true;
}

std::map<std::string, ServiceDef> byName(std::vector<ServiceDef> defs) {
  std::map<std::string, ServiceDef> out;
  for (ServiceDef& def : defs) {
    std::string name = def.name;
    out.emplace(std::move(name), std::move(def));
  }
  return out;
}

}  // namespace

GenericGrpcService::GenericGrpcService(const ServiceRegistry& registry, std::vector<ServiceDef> own,
                                       int maxRequestBytes)
    : registry_(registry), own_(byName(std::move(own))), maxRequestBytes_(maxRequestBytes) {}

const ServiceDef* GenericGrpcService::find(const std::string& service) const {
  if (auto it = own_.find(service); it != own_.end()) return &it->second;
  return registry_.find(service);
}

std::string GenericGrpcService::unimplementedMessage(std::string_view fullMethod) {
  std::string service;
  std::string method;
  if (!splitMethod(fullMethod, &service, &method)) {
    return "malformed method name: \"" + std::string(fullMethod) + "\"";
  }
  // The generated pool holds every service compiled into cairn_proto, i.e.
  // etcd's whole v3 API, so "known to the pool" means "part of the API".
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (descriptor == nullptr) return "unknown service " + service;
  if (descriptor->FindMethodByName(method) == nullptr) {
    return "unknown method " + method + " for service " + service;
  }
  return service + "." + method + " is not implemented in this Cairn build";
}

grpc::ServerGenericBidiReactor* GenericGrpcService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  std::string service;
  std::string method;
  if (splitMethod(context->method(), &service, &method)) {
    const ServiceDef* def = find(service);
    // The registry checked at declare time that every handled method exists
    // in the pool with the right shape, so the descriptor is found.
    const google::protobuf::MethodDescriptor* descriptor =
        def == nullptr ? nullptr
                       : google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                             service + "." + method);
    if (descriptor != nullptr) {
      if (auto it = def->unary.find(method); it != def->unary.end()) {
        return new GenericUnaryReactor(*context, *descriptor, it->second, maxRequestBytes_);
      }
      if (auto it = def->streams.find(method); it != def->streams.end()) {
        return new StreamCallReactor(*context, *descriptor, it->second, maxRequestBytes_);
      }
    }
  }
  return new UnimplementedReactor(unimplementedMessage(context->method()));
}

}  // namespace cairn::api
