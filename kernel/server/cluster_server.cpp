#include "cluster_server.h"

#include "request_auth.h"

namespace cairn::server {

std::vector<MemberInfo> ClusterServer::members() const {
  raftpb::ConfState cs;
  {
    std::lock_guard lk(mu_);
    cs = confState_;
  }
  std::vector<MemberInfo> out;
  auto add = [&](uint64_t id, bool learner) {
    MemberInfo m;
    m.id = id;
    m.isLearner = learner;
    if (id == raft_.memberId()) {
      m.name = options_.name;
      m.peerUrls = options_.advertisePeerUrls;
      m.clientUrls = options_.advertiseClientUrls;
    }
    out.push_back(std::move(m));
  };
  for (uint64_t id : cs.voters()) add(id, false);
  for (uint64_t id : cs.learners()) add(id, true);
  return out;
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
    for (const MemberInfo& m : members()) {
      etcdserverpb::Member* out = resp.add_members();
      out->set_id(m.id);
      out->set_name(m.name);
      for (const auto& u : m.peerUrls) out->add_peerurls(u);
      for (const auto& u : m.clientUrls) out->add_clienturls(u);
      out->set_islearner(m.isLearner);
    }
    done(Status::ok(), std::move(resp));
  });
}

void ClusterServer::setConfState(const raftpb::ConfState& confState) {
  std::lock_guard lk(mu_);
  confState_ = confState;
}

}  // namespace cairn::server
