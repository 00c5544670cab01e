// Fakes the kernel's Maintenance: methods scripted, Snapshot a FakeStreams.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "cairn/host.h"
#include "fake_method.h"
#include "fake_stream_call.h"

namespace cairn::api::test {

class FakeMaintenance final : public Maintenance {
 public:
  void status(const RequestContext& ctx, const etcdserverpb::StatusRequest& req,
              Done<etcdserverpb::StatusResponse> done) override {
    statusMethod.call(ctx, req, std::move(done));
  }
  void defragment(const RequestContext& ctx, const etcdserverpb::DefragmentRequest& req,
                  Done<etcdserverpb::DefragmentResponse> done) override {
    defragmentMethod.call(ctx, req, std::move(done));
  }
  void alarm(const RequestContext& ctx, const etcdserverpb::AlarmRequest& req,
             Done<etcdserverpb::AlarmResponse> done) override {
    alarmMethod.call(ctx, req, std::move(done));
  }
  void hash(const RequestContext& ctx, const etcdserverpb::HashRequest& req,
            Done<etcdserverpb::HashResponse> done) override {
    hashMethod.call(ctx, req, std::move(done));
  }
  void hashKv(const RequestContext& ctx, const etcdserverpb::HashKVRequest& req,
              Done<etcdserverpb::HashKVResponse> done) override {
    hashKvMethod.call(ctx, req, std::move(done));
  }
  void moveLeader(const RequestContext& ctx, const etcdserverpb::MoveLeaderRequest& req,
                  Done<etcdserverpb::MoveLeaderResponse> done) override {
    moveLeaderMethod.call(ctx, req, std::move(done));
  }
  std::unique_ptr<StreamCall> snapshot(const RequestContext& ctx,
                                       std::function<void()> onReady) override {
    return snapshots.open(ctx, std::move(onReady));
  }

  FakeMethod<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse> statusMethod;
  FakeMethod<etcdserverpb::DefragmentRequest, etcdserverpb::DefragmentResponse> defragmentMethod;
  FakeMethod<etcdserverpb::AlarmRequest, etcdserverpb::AlarmResponse> alarmMethod;
  FakeMethod<etcdserverpb::HashRequest, etcdserverpb::HashResponse> hashMethod;
  FakeMethod<etcdserverpb::HashKVRequest, etcdserverpb::HashKVResponse> hashKvMethod;
  FakeMethod<etcdserverpb::MoveLeaderRequest, etcdserverpb::MoveLeaderResponse> moveLeaderMethod;
  FakeStreams snapshots;
};

}  // namespace cairn::api::test
