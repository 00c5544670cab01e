// JsonGateway: etcd's grpc-gateway JSON API (POST /v3/<service>/<method>,
// and the /v3beta/ aliases) over the Host's services.
//
// Each route names a proto method (the `google.api.http` options of etcd's
// rpc.proto, v3lock.proto and v3election.proto, which Cairn's proto copy
// strips); the request and response types come from the method's
// descriptors, and bodies are translated with protobuf's JSON utilities set
// up as etcd's gateway marshaler (JSONPb{OrigName: true}): proto field names,
// int64 as strings, bytes as base64, defaults omitted, unknown fields
// ignored. Errors are the gateway's body {"error","message","code"} with its
// HTTP status for the gRPC code. Unary methods of the KV, Lease, Cluster
// (MemberList) and Maintenance facets and of every registered service are
// served; a route whose method nobody serves
// (streams, services no plugin registered) is answered as an unknown path.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cairn/host.h"
#include "cairn/service.h"
#include "http_types.h"

namespace cairn::apihttp {

class JsonGateway {
 public:
  // `maxRequestBytes`: --max-request-bytes; as etcd's gRPC server, a request
  // message above it plus 512 KiB is refused before reaching the kernel.
  JsonGateway(Host& host, uint64_t maxRequestBytes);

  // The /v3/ path `target` maps to (the query dropped, /v3beta/ rewritten
  // as etcd does), or empty if it is not under /v3/ or /v3beta/.
  static std::string gatewayPath(std::string_view target);

  // True when `req` is for a served route; then `reply` runs exactly once
  // (possibly on a kernel thread). False: not a gateway route, `reply` is
  // not called.
  bool handle(const Request& req, const Reply& reply);

  // The gateway's error response for a gRPC status.
  static Response errorResponse(const Status& status, unsigned version);
  // The gateway's HTTP status for a gRPC code (runtime.HTTPStatusFromCode).
  static http::status httpStatusFor(StatusCode code);

 private:
  struct Route {
    const google::protobuf::MethodDescriptor* method = nullptr;
    UnaryHandler handler;
  };
  void addRoute(std::string_view path, std::string_view service, std::string_view method,
                UnaryHandler handler);

  // Read-only after construction; read by every I/O thread.
  std::map<std::string, Route, std::less<>> routes_;
  const uint64_t receiveLimit_;
};

}  // namespace cairn::apihttp
