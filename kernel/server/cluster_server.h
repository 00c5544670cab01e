// ClusterServer: the SDK's Cluster facet. Members are raft's configuration
// (the voters and learners the apply loop last applied), described by the
// MemberRegistry (peer URLs from the conf change that added each, name and
// client URLs from what each published), ordered by id as etcd lists them.
// This member's own entry falls back to --name and its advertised URLs for
// what the registry lacks (a single member does not publish). Leader and
// term are the raft node's.
//
// Threads: any. The configuration is written by the apply loop under mu_;
// everything else is constant after start or atomic in the raft node.
#pragma once

#include <mutex>

#include "cairn/authorizer.h"
#include "cairn/cluster.h"
#include "cairn/raftpb.pb.h"
#include "member_registry.h"
#include "mvcc/kv_store.h"
#include "raft_node.h"
#include "reads.h"
#include "server_options.h"

namespace cairn::server {

class ClusterServer final : public Cluster {
 public:
  ClusterServer(const ServerOptions& options, uint64_t clusterId, const RaftNode& raft,
                Reads& reads, const mvcc::KvStore& store, Authorizer* authorizer,
                const MemberRegistry& registry)
      : options_(options),
        clusterId_(clusterId),
        raft_(raft),
        registry_(registry),
        reads_(reads),
        store_(store),
        authorizer_(authorizer) {}

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

  // Apply loop: the configuration after recovery or a conf change.
  void setConfState(const raftpb::ConfState& confState);

 private:
  const ServerOptions& options_;
  const uint64_t clusterId_;
  const RaftNode& raft_;
  const MemberRegistry& registry_;  // internally synchronised
  Reads& reads_;
  const mvcc::KvStore& store_;
  Authorizer* const authorizer_;  // null: auth disabled

  mutable std::mutex mu_;
  raftpb::ConfState confState_;  // guarded by mu_
};

}  // namespace cairn::server
