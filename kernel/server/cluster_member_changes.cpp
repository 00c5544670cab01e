// ClusterServer's membership changes: etcd's EtcdServer.AddMember,
// RemoveMember, UpdateMember and PromoteMember with their checks (strict
// reconfig, learner in sync), each proposed as a raft conf change and
// answered when the apply loop applied (or refused) it.
#include <chrono>
#include <ctime>

#include "cairn/errors.h"
#include "cluster_server.h"
#include "config/url.h"
#include "member_ids.h"
#include "request_auth.h"
#include "wait_registry.h"

namespace cairn::server {
namespace {

// etcd's HealthInterval: a peer counts as connected once its streams have
// been up this long.
constexpr std::chrono::seconds kHealthInterval{5};
// etcd's readyPercent: a learner within 90% of the leader's log may be
// promoted.
constexpr double kReadyPercent = 0.9;

// etcd's types.NewURLs: every URL valid, sorted. False on any bad one.
bool parsePeerUrls(const google::protobuf::RepeatedPtrField<std::string>& in,
                   std::vector<std::string>* out) {
  for (const auto& text : in) {
    Url url;
    if (!config::parseUrl(text, &url)) return false;
    out->push_back(text);
  }
  std::sort(out->begin(), out->end());
  return true;
}

std::vector<MemberInfo> votersOf(const std::vector<MemberInfo>& members) {
  std::vector<MemberInfo> v;
  for (const auto& m : members) {
    if (!m.isLearner) v.push_back(m);
  }
  return v;
}

int startedCount(const std::vector<MemberInfo>& members, uint64_t except) {
  int n = 0;
  for (const auto& m : members) n += (m.id != except && !m.name.empty()) ? 1 : 0;
  return n;
}

}  // namespace

int ClusterServer::connectedVoters(const std::vector<MemberInfo>& voters) const {
  const auto since = std::chrono::steady_clock::now() - kHealthInterval;
  int n = 0;
  for (const auto& m : voters) {
    if (m.id == memberId()) {
      ++n;
      continue;
    }
    const auto t = raft_.peerActiveSince(m.id);
    if (t != std::chrono::steady_clock::time_point{} && t <= since) ++n;
  }
  return n;
}

Status ClusterServer::mayAdd(bool learner) const {
  if (!options_.strictReconfigCheck) return Status::ok();
  const std::vector<MemberInfo> voters = votersOf(members());
  // A new voter counts in the quorum but has not started.
  const int nmembers = static_cast<int>(voters.size()) + 1;
  const int nstarted = startedCount(voters, 0);
  if (!learner && !(nstarted == 1 && nmembers == 2) && nstarted < nmembers / 2 + 1) {
    return Status(Error::MemberNotEnoughStarted);
  }
  // Learners too: etcd wants every voter connected for HealthInterval.
  if (connectedVoters(voters) != static_cast<int>(voters.size())) {
    return Status(Error::Unhealthy);
  }
  return Status::ok();
}

Status ClusterServer::mayRemove(uint64_t id) const {
  if (!options_.strictReconfigCheck) return Status::ok();
  const std::vector<MemberInfo> all = members();
  for (const auto& m : all) {
    if (m.id == id && m.isLearner) return Status::ok();  // no quorum at stake
  }
  const std::vector<MemberInfo> voters = votersOf(all);
  int nmembers = 0;
  for (const auto& m : voters) nmembers += m.id != id ? 1 : 0;
  if (startedCount(voters, id) < nmembers / 2 + 1) return Status(Error::MemberNotEnoughStarted);
  // A member that is down is not part of the active quorum.
  if (id != memberId() && raft_.peerActiveSince(id) == std::chrono::steady_clock::time_point{}) {
    return Status::ok();
  }
  const int size = static_cast<int>(voters.size());
  if (connectedVoters(voters) - 1 < 1 + (size - 1) / 2) return Status(Error::Unhealthy);
  return Status::ok();
}

Status ClusterServer::mayPromote(uint64_t id) const {
  // Only the leader knows how far the learner got (etcd's isLearnerReady).
  const std::map<uint64_t, uint64_t> matches = raft_.leaderMatches();
  if (matches.empty()) return Status(Error::NotLeader);
  auto learner = matches.find(id);
  auto leader = matches.find(memberId());
  if (learner != matches.end() && leader != matches.end() &&
      static_cast<double>(learner->second) < static_cast<double>(leader->second) * kReadyPercent) {
    return Status(Error::LearnerNotReady);
  }
  if (!options_.strictReconfigCheck) return Status::ok();
  const std::vector<MemberInfo> voters = votersOf(members());
  // The learner counts as a started member of the future quorum.
  const int nmembers = static_cast<int>(voters.size()) + 1;
  const int nstarted = startedCount(voters, 0) + 1;
  if (nstarted < nmembers / 2 + 1) return Status(Error::MemberNotEnoughStarted);
  return Status::ok();
}

template <typename Response>
void ClusterServer::configure(raftpb::ConfChange cc, Response resp, Done<Response> done) {
  raft_.proposeConfChange(std::move(cc), [this, resp = std::move(resp),
                                          done = std::move(done)](ApplyResult&& result) mutable {
    if (!result.status) {
      done(result.status, Response{});
      return;
    }
    *resp.mutable_header() = header(0);
    fillMembers(members(), resp.mutable_members());
    done(Status::ok(), std::move(resp));
  });
}

void ClusterServer::memberAdd(const RequestContext& ctx, const etcdserverpb::MemberAddRequest& req,
                              Done<etcdserverpb::MemberAddResponse> done) {
  if (Status st = gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
  std::vector<std::string> urls;
  if (!parsePeerUrls(req.peerurls(), &urls)) {
    done(Status(Error::MemberBadUrls), {});
    return;
  }
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  if (Status st = mayAdd(req.islearner()); !st) {
    done(st, {});
    return;
  }
  // etcd's membership.NewMember: the id hashes the sorted peer URLs, an
  // empty cluster name and the current Unix time.
  etcdserverpb::Member member;
  member.set_id(computeMemberId(urls, std::to_string(std::time(nullptr))));
  for (const auto& u : urls) member.add_peerurls(u);
  member.set_islearner(req.islearner());
  raftpb::ConfChange cc;
  cc.set_type(req.islearner() ? raftpb::CONF_CHANGE_ADD_LEARNER_NODE
                              : raftpb::CONF_CHANGE_ADD_NODE);
  cc.set_node_id(member.id());
  cc.set_context(member.SerializeAsString());
  etcdserverpb::MemberAddResponse resp;
  *resp.mutable_member() = member;
  configure(std::move(cc), std::move(resp), std::move(done));
}

void ClusterServer::memberRemove(const RequestContext& ctx,
                                 const etcdserverpb::MemberRemoveRequest& req,
                                 Done<etcdserverpb::MemberRemoveResponse> done) {
  if (Status st = gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  if (Status st = mayRemove(req.id()); !st) {
    done(st, {});
    return;
  }
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  cc.set_node_id(req.id());
  configure(std::move(cc), etcdserverpb::MemberRemoveResponse{}, std::move(done));
}

void ClusterServer::memberUpdate(const RequestContext& ctx,
                                 const etcdserverpb::MemberUpdateRequest& req,
                                 Done<etcdserverpb::MemberUpdateResponse> done) {
  if (Status st = gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  // etcd takes the URLs as given here (no parsing).
  etcdserverpb::Member member;
  member.set_id(req.id());
  for (const auto& u : req.peerurls()) member.add_peerurls(u);
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_UPDATE_NODE);
  cc.set_node_id(req.id());
  cc.set_context(member.SerializeAsString());
  configure(std::move(cc), etcdserverpb::MemberUpdateResponse{}, std::move(done));
}

void ClusterServer::memberPromote(const RequestContext& ctx,
                                  const etcdserverpb::MemberPromoteRequest& req,
                                  Done<etcdserverpb::MemberPromoteResponse> done) {
  if (Status st = gate_.admit(ctx); !st) {
    done(st, {});
    return;
  }
  if (Status st = authorizeRequest(authorizer_, ctx, req, nullptr); !st) {
    done(st, {});
    return;
  }
  Status st = mayPromote(req.id());
  if (st.is(Error::NotLeader) && promoteForwarder_ != nullptr) {
    // The leader answers, with the members once promoted; the header is
    // this member's, as etcd's follower answers.
    promoteForwarder_->forward(req.id(), [this, done = std::move(done)](const Status& answered,
                                                                        std::string response) {
      etcdserverpb::MemberPromoteResponse resp;
      if (!answered) {
        done(answered, {});
      } else if (!resp.ParseFromString(response)) {
        done(Status(StatusCode::Unavailable, "cairn: the leader's promote answer is garbled"), {});
      } else {
        *resp.mutable_header() = header(0);
        done(Status::ok(), std::move(resp));
      }
    });
    return;
  }
  if (!st) {
    done(st, {});
    return;
  }
  promote(req.id(), std::move(done));
}

void ClusterServer::promote(uint64_t id, Done<etcdserverpb::MemberPromoteResponse> done) {
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
  cc.set_node_id(id);  // an empty context marks a promotion
  configure(std::move(cc), etcdserverpb::MemberPromoteResponse{}, std::move(done));
}

void ClusterServer::promoteForPeer(uint64_t id,
                                   std::function<void(const Status&, std::string)> done) {
  if (Status st = mayPromote(id); !st) {
    done(st, {});
    return;
  }
  promote(id,
          [done = std::move(done)](const Status& st, etcdserverpb::MemberPromoteResponse&& resp) {
            done(st, st ? resp.SerializeAsString() : std::string());
          });
}

}  // namespace cairn::server
