// ClusterServer: the SDK's Cluster facet. Members are raft's configuration
// (the voters and learners the apply loop last applied), described by the
// MemberRegistry (peer URLs from the conf change that added each, name and
// client URLs from what each published), ordered by id as etcd lists them.
// This member's own entry falls back to --name and its advertised URLs for
// what the registry lacks (until its publish is applied). Leader and
// term are the raft node's.
//
// Threads: any. The configuration is written by the apply loop under mu_;
// everything else is constant after start or atomic in the raft node.
#pragma once

#include <atomic>
#include <mutex>

#include "cairn/authorizer.h"
#include "cairn/cluster.h"
#include "cairn/raftpb.pb.h"
#include "call_gate.h"
#include "member_registry.h"
#include "mvcc/kv_store.h"
#include "promote_forwarder.h"
#include "raft_node.h"
#include "reads.h"
#include "server_options.h"

namespace cairn::server {

// The members in etcd's wire form.
void fillMembers(const std::vector<MemberInfo>& members,
                 google::protobuf::RepeatedPtrField<etcdserverpb::Member>* out);

class ClusterServer final : public Cluster {
 public:
  ClusterServer(const ServerOptions& options, uint64_t clusterId, RaftNode& raft, Reads& reads,
                const mvcc::KvStore& store, Authorizer* authorizer, const MemberRegistry& registry,
                const CallGate& gate, PromoteForwarder* promoteForwarder)
      : options_(options),
        clusterId_(clusterId),
        raft_(raft),
        registry_(registry),
        reads_(reads),
        store_(store),
        authorizer_(authorizer),
        gate_(gate),
        promoteForwarder_(promoteForwarder) {}

  uint64_t clusterId() const override { return clusterId_; }
  uint64_t memberId() const override { return raft_.memberId(); }
  std::vector<MemberInfo> members() const override;
  uint64_t leaderId() const override { return raft_.leader(); }
  bool isLeader() const override { return raft_.isLeader(); }
  etcdserverpb::ResponseHeader header(int64_t revision) const override;
  // The header of an answer about the current state.
  etcdserverpb::ResponseHeader currentHeader() const { return header(store_.currentRevision()); }

  // Answered on the read pool.
  void memberList(const RequestContext& ctx, const etcdserverpb::MemberListRequest& req,
                  Done<etcdserverpb::MemberListResponse> done) override;

  // Checked as etcd's EtcdServer checks them (cluster_member_changes.cpp),
  // proposed as conf changes, answered once applied with the member list.
  void memberAdd(const RequestContext& ctx, const etcdserverpb::MemberAddRequest& req,
                 Done<etcdserverpb::MemberAddResponse> done) override;
  void memberRemove(const RequestContext& ctx, const etcdserverpb::MemberRemoveRequest& req,
                    Done<etcdserverpb::MemberRemoveResponse> done) override;
  void memberUpdate(const RequestContext& ctx, const etcdserverpb::MemberUpdateRequest& req,
                    Done<etcdserverpb::MemberUpdateResponse> done) override;
  // A follower hands the promotion to the leader (PromoteForwarder).
  void memberPromote(const RequestContext& ctx, const etcdserverpb::MemberPromoteRequest& req,
                     Done<etcdserverpb::MemberPromoteResponse> done) override;
  // The leader's side of a promotion a follower forwarded (the peer
  // transport's PromoteHandler): checked and proposed as memberPromote is
  // (the follower admitted and authorized the call); `done` gets the
  // serialized MemberPromoteResponse.
  void promoteForPeer(uint64_t id, std::function<void(const Status&, std::string)> done);

  // Apply loop: the configuration after recovery or a conf change.
  void setConfState(const raftpb::ConfState& confState);
  // This member is a learner in the configuration last applied.
  bool selfIsLearner() const { return selfLearner_.load(std::memory_order_acquire); }

 private:
  // Proposes `cc` and, once applied, fills `resp` (header, members) and
  // answers. Response is one of the Member*Response types.
  template <typename Response>
  void configure(raftpb::ConfChange cc, Response resp, Done<Response> done);
  // etcd's mayAddMember / mayRemoveMember / mayPromoteMember.
  Status mayAdd(bool learner) const;
  Status mayRemove(uint64_t id) const;
  Status mayPromote(uint64_t id) const;
  // Proposes the promotion mayPromote allowed.
  void promote(uint64_t id, Done<etcdserverpb::MemberPromoteResponse> done);
  // Voters (this member included) connected to this member for at least
  // etcd's HealthInterval (5 s).
  int connectedVoters(const std::vector<MemberInfo>& voters) const;

  const ServerOptions& options_;
  const uint64_t clusterId_;
  RaftNode& raft_;                  // internally synchronised
  const MemberRegistry& registry_;  // internally synchronised
  Reads& reads_;
  const mvcc::KvStore& store_;
  Authorizer* const authorizer_;  // null: auth disabled
  const CallGate& gate_;
  PromoteForwarder* const promoteForwarder_;  // null: a follower answers "not leader"

  mutable std::mutex mu_;
  raftpb::ConfState confState_;  // guarded by mu_
  // Written by the apply loop with confState_, read by the CallGate anywhere.
  std::atomic<bool> selfLearner_{false};
};

}  // namespace cairn::server
