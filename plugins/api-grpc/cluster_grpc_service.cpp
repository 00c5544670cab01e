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

}  // namespace cairn::api
