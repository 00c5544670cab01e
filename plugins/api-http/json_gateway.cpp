#include "json_gateway.h"

#include <google/protobuf/message.h>

#include <memory>
#include <utility>

#include "gateway_json_decoder.h"
#include "gateway_stream.h"
#include "go_json_reader.h"
#include "json_text.h"
#include "keep_alive_stream_call.h"
#include "watch_stream_call.h"

namespace cairn::apihttp {
namespace {

namespace pb = google::protobuf;

// etcd's gRPC server accepts messages up to --max-request-bytes plus this.
constexpr uint64_t kGrpcOverheadBytes = 512 * 1024;

// A typed facet method (KvService::range, ...) as a type-erased handler.
template <typename Svc, typename Req, typename Resp>
UnaryHandler bindFacet(Svc& svc, void (Svc::*fn)(const RequestContext&, const Req&, Done<Resp>)) {
  return [&svc, fn](const RequestContext& ctx, const pb::Message& request, MessageDone done) {
    (svc.*fn)(ctx, static_cast<const Req&>(request),
              Done<Resp>([done = std::move(done)](Status st, Resp&& response) {
                if (!st) {
                  done(std::move(st), nullptr);
                  return;
                }
                done(std::move(st), std::make_unique<Resp>(std::move(response)));
              }));
  };
}

struct RegisteredRoute {
  const char* path;
  const char* service;
  const char* method;
};

// The gateway routes of etcd 3.4's registered services' unary methods
// (additional bindings included), by proto method.
constexpr RegisteredRoute kServiceRoutes[] = {
    {"/v3/lock/lock", "v3lockpb.Lock", "Lock"},
    {"/v3/lock/unlock", "v3lockpb.Lock", "Unlock"},
    {"/v3/election/campaign", "v3electionpb.Election", "Campaign"},
    {"/v3/election/proclaim", "v3electionpb.Election", "Proclaim"},
    {"/v3/election/leader", "v3electionpb.Election", "Leader"},
    {"/v3/election/resign", "v3electionpb.Election", "Resign"},
    {"/v3/auth/enable", "etcdserverpb.Auth", "AuthEnable"},
    {"/v3/auth/disable", "etcdserverpb.Auth", "AuthDisable"},
    {"/v3/auth/authenticate", "etcdserverpb.Auth", "Authenticate"},
    {"/v3/auth/user/add", "etcdserverpb.Auth", "UserAdd"},
    {"/v3/auth/user/get", "etcdserverpb.Auth", "UserGet"},
    {"/v3/auth/user/list", "etcdserverpb.Auth", "UserList"},
    {"/v3/auth/user/delete", "etcdserverpb.Auth", "UserDelete"},
    {"/v3/auth/user/changepw", "etcdserverpb.Auth", "UserChangePassword"},
    {"/v3/auth/user/grant", "etcdserverpb.Auth", "UserGrantRole"},
    {"/v3/auth/user/revoke", "etcdserverpb.Auth", "UserRevokeRole"},
    {"/v3/auth/role/add", "etcdserverpb.Auth", "RoleAdd"},
    {"/v3/auth/role/get", "etcdserverpb.Auth", "RoleGet"},
    {"/v3/auth/role/list", "etcdserverpb.Auth", "RoleList"},
    {"/v3/auth/role/delete", "etcdserverpb.Auth", "RoleDelete"},
    {"/v3/auth/role/grant", "etcdserverpb.Auth", "RoleGrantPermission"},
    {"/v3/auth/role/revoke", "etcdserverpb.Auth", "RoleRevokePermission"},
};

}  // namespace

JsonGateway::JsonGateway(Host& host, uint64_t maxRequestBytes)
    : receiveLimit_(maxRequestBytes + kGrpcOverheadBytes) {
  KvService& kv = host.kv();
  addRoute("/v3/kv/range", "etcdserverpb.KV", "Range", bindFacet(kv, &KvService::range));
  addRoute("/v3/kv/put", "etcdserverpb.KV", "Put", bindFacet(kv, &KvService::put));
  addRoute("/v3/kv/deleterange", "etcdserverpb.KV", "DeleteRange",
           bindFacet(kv, &KvService::deleteRange));
  addRoute("/v3/kv/txn", "etcdserverpb.KV", "Txn", bindFacet(kv, &KvService::txn));
  addRoute("/v3/kv/compaction", "etcdserverpb.KV", "Compact", bindFacet(kv, &KvService::compact));

  LeaseService& lease = host.lease();
  addRoute("/v3/lease/grant", "etcdserverpb.Lease", "LeaseGrant",
           bindFacet(lease, &LeaseService::grant));
  for (const char* path : {"/v3/lease/revoke", "/v3/kv/lease/revoke"}) {
    addRoute(path, "etcdserverpb.Lease", "LeaseRevoke", bindFacet(lease, &LeaseService::revoke));
  }
  for (const char* path : {"/v3/lease/timetolive", "/v3/kv/lease/timetolive"}) {
    addRoute(path, "etcdserverpb.Lease", "LeaseTimeToLive",
             bindFacet(lease, &LeaseService::timeToLive));
  }
  for (const char* path : {"/v3/lease/leases", "/v3/kv/lease/leases"}) {
    addRoute(path, "etcdserverpb.Lease", "LeaseLeases", bindFacet(lease, &LeaseService::leases));
  }

  Cluster& cluster = host.cluster();
  addRoute("/v3/cluster/member/list", "etcdserverpb.Cluster", "MemberList",
           bindFacet(cluster, &Cluster::memberList));
  addRoute("/v3/cluster/member/add", "etcdserverpb.Cluster", "MemberAdd",
           bindFacet(cluster, &Cluster::memberAdd));
  addRoute("/v3/cluster/member/remove", "etcdserverpb.Cluster", "MemberRemove",
           bindFacet(cluster, &Cluster::memberRemove));
  addRoute("/v3/cluster/member/update", "etcdserverpb.Cluster", "MemberUpdate",
           bindFacet(cluster, &Cluster::memberUpdate));
  addRoute("/v3/cluster/member/promote", "etcdserverpb.Cluster", "MemberPromote",
           bindFacet(cluster, &Cluster::memberPromote));

  // Maintenance: what the kernel does not do yet answers its Unimplemented.
  // Hash and HashKV share /v3/maintenance/hash in etcd's gateway, whose mux
  // takes the first pattern registered: Hash.
  Maintenance& maintenance = host.maintenance();
  addRoute("/v3/maintenance/status", "etcdserverpb.Maintenance", "Status",
           bindFacet(maintenance, &Maintenance::status));
  addRoute("/v3/maintenance/defragment", "etcdserverpb.Maintenance", "Defragment",
           bindFacet(maintenance, &Maintenance::defragment));
  addRoute("/v3/maintenance/alarm", "etcdserverpb.Maintenance", "Alarm",
           bindFacet(maintenance, &Maintenance::alarm));
  addRoute("/v3/maintenance/transfer-leadership", "etcdserverpb.Maintenance", "MoveLeader",
           bindFacet(maintenance, &Maintenance::moveLeader));

  addRoute("/v3/maintenance/hash", "etcdserverpb.Maintenance", "Hash",
           bindFacet(maintenance, &Maintenance::hash));

  for (const RegisteredRoute& r : kServiceRoutes) {
    const ServiceDef* def = host.services().find(r.service);
    if (def == nullptr) continue;
    auto it = def->unary.find(r.method);
    if (it == def->unary.end()) continue;
    addRoute(r.path, r.service, r.method, it->second);
  }

  // The streams: Watch and LeaseKeepAlive through the kernel's facets,
  // Snapshot through Maintenance, Observe from the plugin that registers it.
  WatchService& watch = host.watch();
  addStreamRoute("/v3/watch", "etcdserverpb.Watch", "Watch",
                 [&watch](const RequestContext& ctx, std::function<void()> onReady) {
                   return std::make_unique<WatchStreamCall>(watch, ctx, std::move(onReady));
                 });
  addStreamRoute("/v3/lease/keepalive", "etcdserverpb.Lease", "LeaseKeepAlive",
                 [&lease](const RequestContext& ctx, std::function<void()> onReady) {
                   return std::make_unique<KeepAliveStreamCall>(lease, ctx, std::move(onReady));
                 });
  addStreamRoute("/v3/maintenance/snapshot", "etcdserverpb.Maintenance", "Snapshot",
                 [&maintenance](const RequestContext& ctx, std::function<void()> onReady) {
                   return maintenance.snapshot(ctx, std::move(onReady));
                 });
  if (const ServiceDef* def = host.services().find("v3electionpb.Election")) {
    if (auto it = def->streams.find("Observe"); it != def->streams.end()) {
      addStreamRoute("/v3/election/observe", "v3electionpb.Election", "Observe", it->second);
    }
  }
}

void JsonGateway::addStreamRoute(std::string_view path, std::string_view service,
                                 std::string_view method, StreamHandler open) {
  const pb::ServiceDescriptor* sd =
      pb::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  const pb::MethodDescriptor* md =
      sd == nullptr ? nullptr : sd->FindMethodByName(std::string(method));
  if (md == nullptr) return;
  streamRoutes_.emplace(std::string(path), StreamRoute{md, std::move(open)});
}

bool JsonGateway::isStream(const Request& req) const {
  if (req.method() != http::verb::post) return false;  // answered 405 by handle()
  const std::string path = gatewayPath(std::string_view(req.target().data(), req.target().size()));
  return streamRoutes_.find(path) != streamRoutes_.end();
}

std::unique_ptr<GatewayStream> JsonGateway::openStream(const Request& req,
                                                       std::function<void()> onReady,
                                                       Response* error) {
  const std::string path = gatewayPath(std::string_view(req.target().data(), req.target().size()));
  const StreamRoute& route = streamRoutes_.at(path);
  const unsigned version = req.version();
  const bool clientStreaming = route.method->client_streaming();
  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(route.method->input_type());

  // Decode what the body holds. A server-streaming method takes one message
  // (an empty body is an empty request); a bidirectional one takes every
  // message up to the first that does not decode, which ends the client's
  // side, as the gateway's send loop does.
  std::vector<std::unique_ptr<pb::Message>> messages;
  GoJsonReader reader(std::string_view(req.body().data(), req.body().size()));
  const StatusCode decodeCode = clientStreaming ? StatusCode::Unknown : StatusCode::InvalidArgument;
  while (true) {
    GoJsonNode value;
    std::string decodeError;
    const GoJsonReader::Outcome outcome = reader.next(&value, &decodeError);
    if (outcome == GoJsonReader::Outcome::End) break;
    std::unique_ptr<pb::Message> message(prototype->New());
    if (outcome == GoJsonReader::Outcome::Error ||
        !decodeGatewayValue(value, message.get(), &decodeError)) {
      // The gateway passes a stream's first decoding error on as it is
      // (Unknown, 500) and a server stream's as InvalidArgument; a later
      // one only ends the client's side.
      if (messages.empty()) {
        *error = errorResponse(Status(decodeCode, decodeError), version);
        return nullptr;
      }
      break;
    }
    const uint64_t size = message->ByteSizeLong();
    if (size > receiveLimit_) {
      *error =
          errorResponse(Status(StatusCode::ResourceExhausted,
                               "grpc: received message larger than max (" + std::to_string(size) +
                                   " vs. " + std::to_string(receiveLimit_) + ")"),
                        version);
      return nullptr;
    }
    messages.push_back(std::move(message));
    if (!clientStreaming) break;
  }
  if (!clientStreaming && messages.empty()) messages.emplace_back(prototype->New());

  RequestContext ctx;
  if (auto auth = req.find(http::field::authorization); auth != req.end()) {
    ctx.token = std::string(auth->value());
  }
  // The gateway copies the server's response headers (gRPC's content-type
  // among them) only once it has sent a message; a bidirectional call whose
  // body held none answers without them.
  const bool withGrpcMetadata = !messages.empty();
  auto stream =
      std::make_unique<GatewayStream>(open_, route.open(ctx, std::move(onReady)), withGrpcMetadata);
  for (const auto& message : messages) stream->call().onMessage(*message);
  stream->call().onClientDone();
  return stream;
}

void JsonGateway::addRoute(std::string_view path, std::string_view service, std::string_view method,
                           UnaryHandler handler) {
  const pb::ServiceDescriptor* sd =
      pb::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  const pb::MethodDescriptor* md =
      sd == nullptr ? nullptr : sd->FindMethodByName(std::string(method));
  if (md == nullptr) return;  // not in this proto library: nothing to serve
  routes_.emplace(std::string(path), Route{md, std::move(handler)});
}

std::string JsonGateway::gatewayPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  constexpr std::string_view kBeta = "/v3beta/";
  if (path.starts_with(kBeta)) return "/v3/" + std::string(path.substr(kBeta.size()));
  if (path.starts_with("/v3/")) return std::string(path);
  return {};
}

http::status JsonGateway::httpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::Ok:
      return http::status::ok;
    case StatusCode::Cancelled:
      return http::status::request_timeout;
    case StatusCode::InvalidArgument:
      return http::status::bad_request;
    case StatusCode::DeadlineExceeded:
      return http::status::gateway_timeout;
    case StatusCode::NotFound:
      return http::status::not_found;
    case StatusCode::AlreadyExists:
      return http::status::conflict;
    case StatusCode::PermissionDenied:
      return http::status::forbidden;
    case StatusCode::Unauthenticated:
      return http::status::unauthorized;
    case StatusCode::ResourceExhausted:
      return http::status::too_many_requests;
    case StatusCode::FailedPrecondition:
      return http::status::precondition_failed;
    case StatusCode::Aborted:
      return http::status::conflict;
    case StatusCode::OutOfRange:
      return http::status::bad_request;
    case StatusCode::Unimplemented:
      return http::status::not_implemented;
    case StatusCode::Unavailable:
      return http::status::service_unavailable;
    default:
      return http::status::internal_server_error;
  }
}

Response JsonGateway::errorResponse(const Status& status, unsigned version) {
  const std::string quoted = goJsonQuote(status.message());
  return makeResponse(httpStatusFor(status.code()), version, "application/json",
                      "{\"error\":" + quoted + ",\"message\":" + quoted +
                          ",\"code\":" + std::to_string(static_cast<int>(status.code())) + "}");
}

bool JsonGateway::handle(const Request& req, const Reply& reply) {
  const std::string path = gatewayPath(std::string_view(req.target().data(), req.target().size()));
  auto it = routes_.find(path);
  const bool stream = it == routes_.end() && streamRoutes_.count(path) > 0;
  if (it == routes_.end() && !stream) return false;
  const unsigned version = req.version();
  if (stream || req.method() != http::verb::post) {
    // A POST to a stream route is the session's (isStream); any other
    // method on a known route is refused as the gateway's mux refuses it.
    reply(goHttpError(http::status::method_not_allowed, version, "Method Not Allowed"));
    return true;
  }
  const Route& route = it->second;
  std::shared_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(route.method->input_type())->New());
  if (std::string error; !decodeGatewayBody(std::string_view(req.body().data(), req.body().size()),
                                            request.get(), &error)) {
    reply(errorResponse(Status(StatusCode::InvalidArgument, error), version));
    return true;
  }
  const uint64_t size = request->ByteSizeLong();
  if (size > receiveLimit_) {
    reply(errorResponse(Status(StatusCode::ResourceExhausted,
                               "grpc: received message larger than max (" + std::to_string(size) +
                                   " vs. " + std::to_string(receiveLimit_) + ")"),
                        version));
    return true;
  }
  RequestContext ctx;
  if (auto auth = req.find(http::field::authorization); auth != req.end()) {
    ctx.token = std::string(auth->value());
  }
  route.handler(
      ctx, *request, [request, reply, version](Status st, std::unique_ptr<pb::Message> response) {
        if (!st || response == nullptr) {
          reply(errorResponse(st, version));
          return;
        }
        Response res =
            makeResponse(http::status::ok, version, "application/json", gatewayJson(*response));
        res.set("Grpc-Metadata-Content-Type", "application/grpc");
        reply(std::move(res));
      });
  return true;
}

}  // namespace cairn::apihttp
