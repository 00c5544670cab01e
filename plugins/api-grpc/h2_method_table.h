// H2MethodTable: every gRPC method the own HTTP/2 transport serves, by its
// full path ("/etcdserverpb.KV/Put"), built once when the server starts.
//
// The typed services (KV, Lease, Cluster, Maintenance) become ServiceDefs
// here, so a unary call of any service takes one path: parse the request
// with the method's prototype, call the handler, serialize what `done`
// gives. Watch and LeaseKeepAlive are streams with their own delivery and
// are marked by kind. Services plugins registered come from the registry,
// looked up by name after the built-in ones.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cairn/host.h"
#include "cairn/service.h"
#include "grpc_call_metrics.h"

namespace cairn::api {

struct H2Method {
  enum class Kind { Unary, Stream, Watch, LeaseKeepAlive };
  Kind kind = Kind::Unary;
  // The request type's prototype (New() makes a request); null for Watch.
  const google::protobuf::Message* request = nullptr;
  // Unary: the type an answer must have.
  const google::protobuf::Descriptor* response = nullptr;
  std::string fullName;  // "etcdserverpb.KV.Put"
  // What an exception in the handler is reported as: "cairn: <failure>
  // failed: <what>" ("kv request", "v3lockpb.Lock.Observe stream", ...),
  // the words of the gRPC C++ path.
  std::string failure;
  const UnaryHandler* unary = nullptr;    // Kind::Unary
  const StreamHandler* stream = nullptr;  // Kind::Stream
  // grpc_server_started_total / handled_total of the method (null: none).
  const GrpcCallMetrics::MethodCounters* counters = nullptr;
};

class H2MethodTable {
 public:
  // `host` and its registry, and `metrics` (may be null), must outlive the
  // table.
  H2MethodTable(Host& host, GrpcCallMetrics* metrics);
  H2MethodTable(const H2MethodTable&) = delete;
  H2MethodTable& operator=(const H2MethodTable&) = delete;

  // nullptr: answer UNIMPLEMENTED (GenericGrpcService::unimplementedMessage).
  const H2Method* find(std::string_view path) const;

 private:
  // `label`: the typed services' word in failures ("kv"); empty for
  // registered services, which are named in full.
  void add(const ServiceDef& def, const std::string& label);

  // Looked up by the request's :path (a string_view into the decoded
  // headers) without building a string per call.
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view path) const {
      return std::hash<std::string_view>()(path);
    }
  };

  std::vector<ServiceDef> own_;  // the typed services as ServiceDefs
  std::unordered_map<std::string, H2Method, PathHash, std::equal_to<>> byPath_;
};

}  // namespace cairn::api
