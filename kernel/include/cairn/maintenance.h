// Maintenance: etcd's Maintenance service as the kernel offers it.
#pragma once

#include <memory>

#include "cairn/service.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn {

class Maintenance {
 public:
  virtual ~Maintenance() = default;
  virtual void status(const RequestContext& ctx, const etcdserverpb::StatusRequest& req,
                      Done<etcdserverpb::StatusResponse> done) = 0;
  virtual void defragment(const RequestContext& ctx, const etcdserverpb::DefragmentRequest& req,
                          Done<etcdserverpb::DefragmentResponse> done) = 0;
  virtual void alarm(const RequestContext& ctx, const etcdserverpb::AlarmRequest& req,
                     Done<etcdserverpb::AlarmResponse> done) = 0;
  virtual void hash(const RequestContext& ctx, const etcdserverpb::HashRequest& req,
                    Done<etcdserverpb::HashResponse> done) = 0;
  virtual void hashKv(const RequestContext& ctx, const etcdserverpb::HashKVRequest& req,
                      Done<etcdserverpb::HashKVResponse> done) = 0;
  virtual void moveLeader(const RequestContext& ctx, const etcdserverpb::MoveLeaderRequest& req,
                          Done<etcdserverpb::MoveLeaderResponse> done) = 0;
  // The Snapshot stream: SnapshotResponse chunks, then the end of the call.
  virtual std::unique_ptr<StreamCall> snapshot(const RequestContext& ctx,
                                               std::function<void()> onReady) = 0;
};

}  // namespace cairn
