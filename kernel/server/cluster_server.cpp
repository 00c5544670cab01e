#include "cluster_server.h"

#include <algorithm>
#include <map>

#include "request_auth.h"
#include "wait_registry.h"

namespace cairn::server {

std::vector<MemberInfo> ClusterServer::members() const {
  raftpb::ConfState cs;
  {
    std::lock_guard lk(mu_);
    cs = confState_;
  }
  std::map<uint64_t, bool> ids;  // id -> learner
  for (uint64_t id : cs.voters()) ids[id] = false;
  for (uint64_t id : cs.learners()) ids[id] = true;
  std::vector<MemberInfo> out;
  for (const auto& [id, learner] : ids) {
    MemberInfo m;
    m.id = id;
    m.isLearner = learner;
    if (auto known = registry_.find(id)) {
      m.name = known->name();
      m.peerUrls.assign(known->peerurls().begin(), known->peerurls().end());
      m.clientUrls.assign(known->clienturls().begin(), known->clienturls().end());
    }
    if (id == raft_.memberId()) {
      if (m.name.empty()) m.name = options_.name;
      if (m.peerUrls.empty()) m.peerUrls = options_.advertisePeerUrls;
      if (m.clientUrls.empty()) m.clientUrls = options_.advertiseClientUrls;
    }
    out.push_back(std::move(m));
  }
  return out;
}

void fillMembers(const std::vector<MemberInfo>& members,
                 google::protobuf::RepeatedPtrField<etcdserverpb::Member>* out) {
  for (const MemberInfo& m : members) {
    etcdserverpb::Member* pb = out->Add();
    pb->set_id(m.id);
    pb->set_name(m.name);
    for (const auto& u : m.peerUrls) pb->add_peerurls(u);
    for (const auto& u : m.clientUrls) pb->add_clienturls(u);
    pb->set_islearner(m.isLearner);
  }
}

etcdserverpb::ResponseHeader ClusterServer::header(int64_t revision) const {
  etcdserverpb::ResponseHeader h;
  h.set_cluster_id(clusterId_);
  h.set_member_id(raft_.memberId());
  h.set_revision(revision);
  h.set_raft_term(raft_.term());
  return h;
}

void ClusterServer::memberList(const RequestContext& ctx,
                               const etcdserverpb::MemberListRequest& req,
                               Done<etcdserverpb::MemberListResponse> done) {
  if (Status st = gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  reads_.serializable([this, done = std::move(done)](const Status& gate) {
    etcdserverpb::MemberListResponse resp;
    if (!gate) {
      done(gate, std::move(resp));
      return;
    }
    // etcd's Cluster service fills cluster id, member id and raft term
    // only: its header carries no revision.
    *resp.mutable_header() = header(0);
    fillMembers(members(), resp.mutable_members());
    done(Status::ok(), std::move(resp));
  });
}

void ClusterServer::setConfState(const raftpb::ConfState& confState) {
  std::lock_guard lk(mu_);
  confState_ = confState;
  const uint64_t self = raft_.memberId();
  selfLearner_.store(std::find(confState.learners().begin(), confState.learners().end(), self) !=
                         confState.learners().end(),
                     std::memory_order_release);
}

}  // namespace cairn::server
