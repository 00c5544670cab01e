// JsonGateway: etcd's grpc-gateway JSON API (POST /v3/<service>/<method>,
// and the /v3beta/ aliases) over the Host's services.
//
// Each route names a proto method (the `google.api.http` options of etcd's
// rpc.proto, v3lock.proto and v3election.proto, which Cairn's proto copy
// strips); the request and response types come from the method's
// descriptors. Request bodies are read as etcd's gateway reads them (Go's
// json.Decoder and jsonpb: see GatewayJsonDecoder), so the same bodies are
// accepted and the same error texts returned; responses are written with
// protobuf's JSON utilities set up as etcd's gateway marshaler
// (JSONPb{OrigName: true}): proto field names, int64 as strings, bytes as
// base64, defaults omitted. Errors are the gateway's body {"error","message","code"} with its
// HTTP status for the gRPC code. Unary methods of the KV, Lease, Cluster
// (MemberList) and Maintenance facets and of every registered service are
// served, and the streams (see GatewayStream); a route whose method nobody
// serves (services no plugin registered) is answered as an unknown path.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/host.h"
#include "cairn/service.h"
#include "gateway_stream.h"
#include "http_types.h"
#include "open_streams.h"

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

  // True when `req` is a POST to a streaming route (Watch, LeaseKeepAlive,
  // Snapshot, Observe): the session then opens it with openStream().
  bool isStream(const Request& req) const;
  // Opens the streaming call for `req` and feeds it the body's messages;
  // `onReady` (any thread, must not block) signals that the stream has
  // something to write. Null, with *error set, when the request fails before
  // the call starts (a body that does not decode, a message too large).
  std::unique_ptr<GatewayStream> openStream(const Request& req, std::function<void()> onReady,
                                            Response* error);
  // Closes every open stream: no stream's onReady runs after this returns.
  void closeStreams() { open_.closeAll(); }

  // The gateway's error response for a gRPC status.
  static Response errorResponse(const Status& status, unsigned version);
  // The gateway's HTTP status for a gRPC code (runtime.HTTPStatusFromCode).
  static http::status httpStatusFor(StatusCode code);

 private:
  struct Route {
    const google::protobuf::MethodDescriptor* method = nullptr;
    UnaryHandler handler;
  };
  struct StreamRoute {
    const google::protobuf::MethodDescriptor* method = nullptr;
    StreamHandler open;
  };
  void addRoute(std::string_view path, std::string_view service, std::string_view method,
                UnaryHandler handler);
  void addStreamRoute(std::string_view path, std::string_view service, std::string_view method,
                      StreamHandler open);

  // Read-only after construction; read by every I/O thread.
  std::map<std::string, Route, std::less<>> routes_;
  std::map<std::string, StreamRoute, std::less<>> streamRoutes_;
  OpenStreams open_;  // thread-safe
  const uint64_t receiveLimit_;
};

}  // namespace cairn::apihttp
