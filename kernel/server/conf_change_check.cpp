#include "conf_change_check.h"

#include <algorithm>
#include <set>

#include "cairn/errors.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {
namespace {

bool contains(const google::protobuf::RepeatedField<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Peer URLs of every member but `except`.
std::set<std::string> urlsInUse(const MemberRegistry& members, uint64_t except) {
  std::set<std::string> urls;
  for (const auto& m : members.all()) {
    if (m.id() == except) continue;
    urls.insert(m.peerurls().begin(), m.peerurls().end());
  }
  return urls;
}

bool anyInUse(const etcdserverpb::Member& m, const std::set<std::string>& inUse) {
  return std::any_of(m.peerurls().begin(), m.peerurls().end(),
                     [&](const std::string& u) { return inUse.count(u) != 0; });
}

}  // namespace

void applyToConf(const raftpb::ConfChange& cc, raftpb::ConfState* conf) {
  const uint64_t id = cc.node_id();
  auto erase = [id](google::protobuf::RepeatedField<uint64_t>* ids) {
    ids->erase(std::remove(ids->begin(), ids->end(), id), ids->end());
  };
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_NODE:
      erase(conf->mutable_learners());
      if (!contains(conf->voters(), id)) conf->add_voters(id);
      break;
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE:
      if (!contains(conf->voters(), id) && !contains(conf->learners(), id)) {
        conf->add_learners(id);
      }
      break;
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      erase(conf->mutable_voters());
      erase(conf->mutable_learners());
      break;
    default:
      break;
  }
}

Status checkConfChange(const raftpb::ConfChange& cc, const raftpb::ConfState& conf,
                       const MemberRegistry& members) {
  const uint64_t id = cc.node_id();
  // etcd's ErrIDRemoved answers as "member not found".
  if (members.isRemoved(id)) return Status(Error::MemberNotFound);
  const bool isVoter = contains(conf.voters(), id);
  const bool isLearner = contains(conf.learners(), id);
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_NODE:
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE: {
      if (isPromotion(cc)) {
        if (!isVoter && !isLearner) return Status(Error::MemberNotFound);
        if (!isLearner) return Status(Error::MemberNotLearner);
        return Status::ok();
      }
      if (isVoter || isLearner) return Status(Error::MemberExist);
      etcdserverpb::Member m;
      if (!m.ParseFromString(cc.context())) return Status(Error::MemberBadUrls);
      if (anyInUse(m, urlsInUse(members, 0))) return Status(Error::PeerUrlExist);
      if (cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE &&
          conf.learners_size() + 1 > kMaxLearners) {
        return Status(Error::TooManyLearners);
      }
      return Status::ok();
    }
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      if (!isVoter && !isLearner) return Status(Error::MemberNotFound);
      return Status::ok();
    case raftpb::CONF_CHANGE_UPDATE_NODE: {
      if (!isVoter && !isLearner) return Status(Error::MemberNotFound);
      etcdserverpb::Member m;
      if (!m.ParseFromString(cc.context())) return Status(Error::MemberBadUrls);
      if (anyInUse(m, urlsInUse(members, id))) return Status(Error::PeerUrlExist);
      return Status::ok();
    }
    default:
      return Status(StatusCode::InvalidArgument, "unknown conf change type");
  }
}

}  // namespace cairn::server
