#include "lease_grpc_service.h"

#include "lease_keep_alive_reactor.h"
#include "unary_call_reactor.h"

namespace cairn::api {

namespace pb = etcdserverpb;

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseGrant(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return serveUnary<pb::LeaseGrantRequest, pb::LeaseGrantResponse>(
      "lease", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        lease_.grant(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseRevoke(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return serveUnary<pb::LeaseRevokeRequest, pb::LeaseRevokeResponse>(
      "lease", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        lease_.revoke(ctx, req, std::move(done));
      });
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* LeaseGrpcService::LeaseKeepAlive(
    grpc::CallbackServerContext* context) {
  return new LeaseKeepAliveReactor(*context, lease_, maxRequestBytes_);
}

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseTimeToLive(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return serveUnary<pb::LeaseTimeToLiveRequest, pb::LeaseTimeToLiveResponse>(
      "lease", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        lease_.timeToLive(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseLeases(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return serveUnary<pb::LeaseLeasesRequest, pb::LeaseLeasesResponse>(
      "lease", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        lease_.leases(ctx, req, std::move(done));
      });
}

}  // namespace cairn::api
