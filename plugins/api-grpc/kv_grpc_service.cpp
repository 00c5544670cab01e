#include "kv_grpc_service.h"

#include "unary_call_reactor.h"

namespace cairn::api {

namespace pb = etcdserverpb;

grpc::ServerUnaryReactor* KvGrpcService::Range(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) {
  return serveUnary<pb::RangeRequest, pb::RangeResponse>(
      "kv", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        kv_.range(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* KvGrpcService::Put(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) {
  return serveUnary<pb::PutRequest, pb::PutResponse>(
      "kv", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) { kv_.put(ctx, req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::DeleteRange(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return serveUnary<pb::DeleteRangeRequest, pb::DeleteRangeResponse>(
      "kv", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        kv_.deleteRange(ctx, req, std::move(done));
      });
}

grpc::ServerUnaryReactor* KvGrpcService::Txn(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) {
  return serveUnary<pb::TxnRequest, pb::TxnResponse>(
      "kv", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) { kv_.txn(ctx, req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Compact(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  return serveUnary<pb::CompactionRequest, pb::CompactionResponse>(
      "kv", context, request, response, maxRequestBytes_,
      [this](const auto& ctx, const auto& req, auto done) {
        kv_.compact(ctx, req, std::move(done));
      });
}

}  // namespace cairn::api
