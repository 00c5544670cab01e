#include "kv_grpc_service.h"

#include <exception>
#include <string>

#include "kv_call_reactor.h"

namespace cairn::api {
namespace {

// Starts the kernel call for one RPC. A kernel that throws instead of
// answering must not take down gRPC's callback thread; the call fails with
// INTERNAL (unless `done` already answered it).
template <typename Request, typename Response, typename Method>
grpc::ServerUnaryReactor* forward(const Request* request, Response* response, int maxRequestBytes,
                                  Method&& method) {
  auto* reactor = new KvCallReactor<Response>(response);
  // The parsed size equals the wire size: proto3 keeps unknown fields.
  const size_t size = request->ByteSizeLong();
  if (size > static_cast<size_t>(maxRequestBytes)) {
    reactor->finishUnlessDone(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                           "grpc: received message larger than max (" +
                                               std::to_string(size) + " vs. " +
                                               std::to_string(maxRequestBytes) + ")"));
    return reactor;
  }
  try {
    method(*request, reactor->done());
  } catch (const std::exception& e) {
    reactor->finishUnlessDone(grpc::Status(grpc::StatusCode::INTERNAL,
                                           std::string("cairn: kv request failed: ") + e.what()));
  } catch (...) {
    reactor->finishUnlessDone(
        grpc::Status(grpc::StatusCode::INTERNAL, "cairn: kv request failed: unknown exception"));
  }
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* KvGrpcService::Range(grpc::CallbackServerContext* /*context*/,
                                               const etcdserverpb::RangeRequest* request,
                                               etcdserverpb::RangeResponse* response) {
  return forward(request, response, maxRequestBytes_,
                 [this](const auto& req, auto done) { kv_.range(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Put(grpc::CallbackServerContext* /*context*/,
                                             const etcdserverpb::PutRequest* request,
                                             etcdserverpb::PutResponse* response) {
  return forward(request, response, maxRequestBytes_,
                 [this](const auto& req, auto done) { kv_.put(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::DeleteRange(
    grpc::CallbackServerContext* /*context*/, const etcdserverpb::DeleteRangeRequest* request,
    etcdserverpb::DeleteRangeResponse* response) {
  return forward(request, response, maxRequestBytes_,
                 [this](const auto& req, auto done) { kv_.deleteRange(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Txn(grpc::CallbackServerContext* /*context*/,
                                             const etcdserverpb::TxnRequest* request,
                                             etcdserverpb::TxnResponse* response) {
  return forward(request, response, maxRequestBytes_,
                 [this](const auto& req, auto done) { kv_.txn(req, std::move(done)); });
}

grpc::ServerUnaryReactor* KvGrpcService::Compact(grpc::CallbackServerContext* /*context*/,
                                                 const etcdserverpb::CompactionRequest* request,
                                                 etcdserverpb::CompactionResponse* response) {
  return forward(request, response, maxRequestBytes_,
                 [this](const auto& req, auto done) { kv_.compact(req, std::move(done)); });
}

}  // namespace cairn::api
