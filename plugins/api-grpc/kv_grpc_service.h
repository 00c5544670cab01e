// KvGrpcService: etcd's KV gRPC service on gRPC's callback API, forwarding
// every call to the kernel's KvService. No thread waits on a request: the
// handler returns at once and the kernel's `done` finishes the call.
//
// The request passed to the kernel is gRPC's and is freed once the call
// finishes, which on cancellation or shutdown can be before `done` runs: the
// kernel must copy what it keeps beyond the KvService call itself.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

class KvGrpcService final : public etcdserverpb::KV::CallbackService {
 public:
  // `kv` must outlive the gRPC server this service is registered with.
  // `maxRequestBytes`: the receive limit clients see (etcd's
  // --max-request-bytes + 512 KiB); larger requests fail with grpc-go's text.
  KvGrpcService(KvService& kv, int maxRequestBytes) : kv_(kv), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* context,
                                  const etcdserverpb::RangeRequest* request,
                                  etcdserverpb::RangeResponse* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context,
                                const etcdserverpb::PutRequest* request,
                                etcdserverpb::PutResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* context,
                                        const etcdserverpb::DeleteRangeRequest* request,
                                        etcdserverpb::DeleteRangeResponse* response) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* context,
                                const etcdserverpb::TxnRequest* request,
                                etcdserverpb::TxnResponse* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* context,
                                    const etcdserverpb::CompactionRequest* request,
                                    etcdserverpb::CompactionResponse* response) override;

 private:
  KvService& kv_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
