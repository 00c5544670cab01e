// KvGrpcService: etcd's KV gRPC service on gRPC's callback API, forwarding
// every call to the kernel's KvService. No thread waits on a request: the
// handler returns at once and the kernel's `done` finishes the call.
//
// Every method is registered raw (bytes in, bytes out) so an unparsable
// request gets grpc-go's INTERNAL status, not the empty UNIMPLEMENTED that
// gRPC C++'s generated handlers answer (see wire_codec.h). The request lives
// in the call's reactor until the call ends; the kernel must copy what it
// keeps beyond its KvService call.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/host.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

namespace kv_raw {
using etcdserverpb::KV;
using Base = KV::WithRawCallbackMethod_Range<
    KV::WithRawCallbackMethod_Put<KV::WithRawCallbackMethod_DeleteRange<
        KV::WithRawCallbackMethod_Txn<KV::WithRawCallbackMethod_Compact<KV::Service>>>>>;
}  // namespace kv_raw

class KvGrpcService final : public kv_raw::Base {
 public:
  // `kv` must outlive the gRPC server this service is registered with.
  // `maxRequestBytes`: the receive limit clients see (etcd's
  // --max-request-bytes + 512 KiB); larger requests fail with grpc-go's text.
  KvGrpcService(KvService& kv, int maxRequestBytes) : kv_(kv), maxRequestBytes_(maxRequestBytes) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request,
                                grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request,
                                grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;

 private:
  KvService& kv_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
