#include "kv_grpc_service.h"

#include "unary_call_reactor.h"

namespace cairn::api {

grpc::ServerUnaryReactor* KvGrpcService::Range(grpc::CallbackServerContext* /*context*/,
                                               const etcdserverpb::RangeRequest* request,
                                               etcdserverpb::RangeResponse* response) {
  return forwardUnary("kv", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { kv_.range(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Put(grpc::CallbackServerContext* /*context*/,
                                             const etcdserverpb::PutRequest* request,
                                             etcdserverpb::PutResponse* response) {
  return forwardUnary("kv", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { kv_.put(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::DeleteRange(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::DeleteRangeRequest* request,
    etcdserverpb::DeleteRangeResponse* response) {
  return forwardUnary(
      "kv", request, response, maxRequestBytes_,
      [this](const auto& req, auto done) { kv_.deleteRange(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Txn(grpc::CallbackServerContext* /*context*/,
                                             const etcdserverpb::TxnRequest* request,
                                             etcdserverpb::TxnResponse* response) {
  return forwardUnary("kv", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { kv_.txn(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Compact(grpc::CallbackServerContext* /*context*/,
                                                 const etcdserverpb::CompactionRequest* request,
                                                 etcdserverpb::CompactionResponse* response) {
  return forwardUnary("kv", request, response, maxRequestBytes_,
                      [this](const auto& req, auto done) { kv_.compact(req, std::move(done)); });
}

}  // namespace cairn::api
