#include "unimplemented_service.h"

#include <google/protobuf/descriptor.h>

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

}  // namespace

std::string UnimplementedService::messageFor(std::string_view fullMethod) {
  std::string_view path = fullMethod;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return "malformed method name: \"" + std::string(fullMethod) + "\"";
  }
  const std::string service(path.substr(0, slash));
  const std::string method(path.substr(slash + 1));

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

grpc::ServerGenericBidiReactor* UnimplementedService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new UnimplementedReactor(messageFor(context->method()));
}

}  // namespace cairn::api
