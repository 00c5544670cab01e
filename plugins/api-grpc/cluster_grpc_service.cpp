#include "cluster_grpc_service.h"

#include "unary_call_reactor.h"

namespace cairn::api {

namespace pb = etcdserverpb;

grpc::ServerUnaryReactor* ClusterGrpcService::MemberList(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return serveUnary<pb::MemberListRequest, pb::MemberListResponse>(
      "cluster", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        cluster_.memberList(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* ClusterGrpcService::MemberAdd(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return serveUnary<pb::MemberAddRequest, pb::MemberAddResponse>(
      "cluster", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        cluster_.memberAdd(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* ClusterGrpcService::MemberRemove(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return serveUnary<pb::MemberRemoveRequest, pb::MemberRemoveResponse>(
      "cluster", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        cluster_.memberRemove(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* ClusterGrpcService::MemberUpdate(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return serveUnary<pb::MemberUpdateRequest, pb::MemberUpdateResponse>(
      "cluster", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        cluster_.memberUpdate(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* ClusterGrpcService::MemberPromote(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return serveUnary<pb::MemberPromoteRequest, pb::MemberPromoteResponse>(
      "cluster", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        cluster_.memberPromote(ctx, req, std::move(done));
      });
}

}  // namespace cairn::api
