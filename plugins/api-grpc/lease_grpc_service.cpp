#include "lease_grpc_service.h"

#include "lease_keep_alive_reactor.h"
#include "unary_call_reactor.h"

namespace cairn::api {

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseGrant(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::LeaseGrantRequest* request,
    etcdserverpb::LeaseGrantResponse* response) {
  return forwardUnary("lease", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { lease_.grant(req, std::move(done)); });
}

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseRevoke(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::LeaseRevokeRequest* request,
    etcdserverpb::LeaseRevokeResponse* response) {
  return forwardUnary("lease", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { lease_.revoke(req, std::move(done)); });
}

grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>*
LeaseGrpcService::LeaseKeepAlive(grpc::CallbackServerContext* /*context*/) {
  return new LeaseKeepAliveReactor(lease_, maxRequestBytes_);
}

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseTimeToLive(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::LeaseTimeToLiveRequest* request,
    etcdserverpb::LeaseTimeToLiveResponse* response) {
  return forwardUnary(
      "lease", request, response, maxRequestBytes_,
      [this](const auto& req, auto done) { lease_.timeToLive(req, std::move(done)); });
}

grpc::ServerUnaryReactor* LeaseGrpcService::LeaseLeases(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::LeaseLeasesRequest* request,
    etcdserverpb::LeaseLeasesResponse* response) {
  return forwardUnary("lease", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { lease_.leases(req, std::move(done)); });
}

}  // namespace cairn::api
