// Fakes the kernel's Cluster: one member, always leader; membership methods scripted.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "cairn/host.h"
#include "fake_method.h"

namespace cairn::api::test {

class FakeCluster final : public Cluster {
 public:
  uint64_t clusterId() const override { return 14841639068965178418ull; }
  uint64_t memberId() const override { return 10276657743932975437ull; }
  std::vector<MemberInfo> members() const override {
    MemberInfo self;
    self.id = memberId();
    self.name = "default";
    self.peerUrls = {"http://localhost:2380"};
    self.clientUrls = {"http://localhost:2379"};
    return {self};
  }
  uint64_t leaderId() const override { return memberId(); }
  bool isLeader() const override { return true; }
  etcdserverpb::ResponseHeader header(int64_t revision) const override {
    etcdserverpb::ResponseHeader h;
    h.set_cluster_id(clusterId());
    h.set_member_id(memberId());
    h.set_revision(revision);
    h.set_raft_term(2);
    return h;
  }
  void memberList(const RequestContext& ctx, const etcdserverpb::MemberListRequest& req,
                  Done<etcdserverpb::MemberListResponse> done) override {
    memberListMethod.call(ctx, req, std::move(done));
  }
  void memberAdd(const RequestContext& ctx, const etcdserverpb::MemberAddRequest& req,
                 Done<etcdserverpb::MemberAddResponse> done) override {
    memberAddMethod.call(ctx, req, std::move(done));
  }
  void memberRemove(const RequestContext& ctx, const etcdserverpb::MemberRemoveRequest& req,
                    Done<etcdserverpb::MemberRemoveResponse> done) override {
    memberRemoveMethod.call(ctx, req, std::move(done));
  }
  void memberUpdate(const RequestContext& ctx, const etcdserverpb::MemberUpdateRequest& req,
                    Done<etcdserverpb::MemberUpdateResponse> done) override {
    memberUpdateMethod.call(ctx, req, std::move(done));
  }
  void memberPromote(const RequestContext& ctx, const etcdserverpb::MemberPromoteRequest& req,
                     Done<etcdserverpb::MemberPromoteResponse> done) override {
    memberPromoteMethod.call(ctx, req, std::move(done));
  }

  FakeMethod<etcdserverpb::MemberListRequest, etcdserverpb::MemberListResponse> memberListMethod;
  FakeMethod<etcdserverpb::MemberAddRequest, etcdserverpb::MemberAddResponse> memberAddMethod;
  FakeMethod<etcdserverpb::MemberRemoveRequest, etcdserverpb::MemberRemoveResponse>
      memberRemoveMethod;
  FakeMethod<etcdserverpb::MemberUpdateRequest, etcdserverpb::MemberUpdateResponse>
      memberUpdateMethod;
  FakeMethod<etcdserverpb::MemberPromoteRequest, etcdserverpb::MemberPromoteResponse>
      memberPromoteMethod;
};

}  // namespace cairn::api::test
