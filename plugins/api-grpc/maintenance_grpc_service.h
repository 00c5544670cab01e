// MaintenanceGrpcService: etcd's Maintenance gRPC service, forwarding to the
// kernel's Maintenance (which answers UNIMPLEMENTED for what it has not
// built yet). The unary methods are served raw like KvGrpcService.
//
// Snapshot is a server stream over the kernel's StreamCall; it is left to
// the generic service, which drives StreamCalls for every service (see
// snapshotService()), so one reactor implements that protocol.
#pragma once

#include <grpcpp/grpcpp.h>

#include "cairn/maintenance.h"
#include "cairn/service.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

namespace maintenance_raw {
using etcdserverpb::Maintenance;
using Base = Maintenance::WithRawCallbackMethod_Alarm<Maintenance::WithRawCallbackMethod_Status<
    Maintenance::WithRawCallbackMethod_Defragment<Maintenance::WithRawCallbackMethod_Hash<
        Maintenance::WithRawCallbackMethod_HashKV<Maintenance::WithRawCallbackMethod_MoveLeader<
            Maintenance::WithGenericMethod_Snapshot<Maintenance::Service>>>>>>>;
}  // namespace maintenance_raw

class MaintenanceGrpcService final : public maintenance_raw::Base {
 public:
  // `maintenance` must outlive the gRPC server this service is registered
  // with.
  MaintenanceGrpcService(Maintenance& maintenance, int maxRequestBytes)
      : maintenance_(maintenance), maxRequestBytes_(maxRequestBytes) {}

  // etcdserverpb.Maintenance with only Snapshot, for the generic service.
  static ServiceDef snapshotService(Maintenance& maintenance);

  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Hash(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  Maintenance& maintenance_;
  const int maxRequestBytes_;
};

}  // namespace cairn::api
