#include "maintenance_grpc_service.h"

#include "unary_call_reactor.h"

namespace cairn::api {

namespace pb = etcdserverpb;

ServiceDef MaintenanceGrpcService::snapshotService(Maintenance& maintenance) {
  ServiceDef def;
  def.name = pb::Maintenance::service_full_name();
  def.stream("Snapshot", [&maintenance](const RequestContext& ctx, std::function<void()> onReady) {
    return maintenance.snapshot(ctx, std::move(onReady));
  });
  return def;
}

grpc::ServerUnaryReactor* MaintenanceGrpcService::Alarm(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return serveUnary<pb::AlarmRequest, pb::AlarmResponse>(
      "maintenance", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        maintenance_.alarm(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* MaintenanceGrpcService::Status(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return serveUnary<pb::StatusRequest, pb::StatusResponse>(
      "maintenance", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        maintenance_.status(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* MaintenanceGrpcService::Defragment(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return serveUnary<pb::DefragmentRequest, pb::DefragmentResponse>(
      "maintenance", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        maintenance_.defragment(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* MaintenanceGrpcService::Hash(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return serveUnary<pb::HashRequest, pb::HashResponse>(
      "maintenance", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        maintenance_.hash(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* MaintenanceGrpcService::HashKV(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return serveUnary<pb::HashKVRequest, pb::HashKVResponse>(
      "maintenance", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        maintenance_.hashKv(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* MaintenanceGrpcService::MoveLeader(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return serveUnary<pb::MoveLeaderRequest, pb::MoveLeaderResponse>(
      "maintenance", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        maintenance_.moveLeader(ctx, req, std::move(done));
      });
}

}  // namespace cairn::api
