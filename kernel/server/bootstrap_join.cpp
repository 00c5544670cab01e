// Bootstrap::joinExisting: a member started after `member add` with
// --initial-cluster-state=existing. As etcd's NewServer does for an empty
// data dir joining a cluster: ask the other members listed in
// --initial-cluster for the cluster (over Cairn's peer protocol where etcd
// GETs /members), check that --initial-cluster describes the same members
// (etcd's ValidateClusterAndAssignIDs, with its messages), take the
// cluster's ids, and start raft with no configuration: the leader sends the
// log from its start, conf changes included.
#include <algorithm>
#include <map>

#include "bootstrap.h"
#include "config/url.h"
#include "etcdserverpb/rpc.pb.h"
#include "member_ids.h"
#include "transport/cluster_query.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/bootstrap_join.cpp";
// etcd waits this long for each peer's answer.
constexpr std::chrono::seconds kQueryTimeout{10};

std::vector<std::string> sortedUrls(const etcdserverpb::Member& m) {
  std::vector<std::string> urls(m.peerurls().begin(), m.peerurls().end());
  std::sort(urls.begin(), urls.end());
  return urls;
}

std::string joinedUrls(const std::vector<std::string>& urls) {
  std::string s;
  for (const auto& u : urls) s += (s.empty() ? "" : " ") + u;
  return s;
}

// etcd's RaftCluster.String() of the fetched cluster (members by id).
std::string describe(uint64_t clusterId, const std::vector<etcdserverpb::Member>& members) {
  std::string ms;
  for (const auto& m : members) {
    std::string clientUrls(joinedUrls({m.clienturls().begin(), m.clienturls().end()}));
    ms += (ms.empty() ? "" : " ") + std::string("&{ID:") + idToHex(m.id()) +
          " RaftAttributes:{PeerURLs:[" + joinedUrls(sortedUrls(m)) +
          "] IsLearner:" + (m.islearner() ? "true" : "false") + "} Attributes:{Name:" + m.name() +
          " ClientURLs:[" + clientUrls + "]}}";
  }
  return "{ClusterID:" + idToHex(clusterId) + " Members:[" + ms + "] RemovedMemberIDs:[]}";
}

}  // namespace

Status Bootstrap::joinExisting(RecoveredMember* m) {
  std::map<std::string, std::vector<std::string>> byName;
  for (const auto& [name, url] : options_.initialCluster) byName[name].push_back(url);
  // etcd's getRemotePeerURLs: every other member's URLs, sorted.
  std::vector<std::string> remote;
  for (const auto& [name, urls] : byName) {
    if (name != options_.name) remote.insert(remote.end(), urls.begin(), urls.end());
  }
  std::sort(remote.begin(), remote.end());

  etcdserverpb::MemberListResponse fetched;
  uint64_t clusterId = 0;
  bool got = false;
  for (const auto& text : remote) {
    Url url;
    if (!config::parseUrl(text, &url)) continue;
    std::string answer;
    Status st = transport::queryCluster(url, peerTls_, kQueryTimeout, &clusterId, &answer);
    if (st && fetched.ParseFromString(answer) && fetched.members_size() > 0) {
      got = true;
      break;
    }
    logger_.warn("etcdserver/cluster_util.go", "failed to get cluster response",
                 jsonField("address", text) + "," +
                     jsonField("error", st ? "cannot parse the answer" : st.message()));
  }
  if (!got) {
    return Status(StatusCode::FailedPrecondition,
                  "cannot fetch cluster info from peer urls: could not retrieve cluster "
                  "information from the given URLs");
  }
  std::vector<etcdserverpb::Member> existing(fetched.members().begin(), fetched.members().end());
  std::sort(existing.begin(), existing.end(),
            [](const auto& a, const auto& b) { return a.id() < b.id(); });
  const std::string failure = "error validating peerURLs " + describe(clusterId, existing) + ": ";
  if (existing.size() != byName.size()) {
    return Status(StatusCode::FailedPrecondition, failure + "member count is unequal");
  }
  // Each fetched member's peer URLs name one --initial-cluster entry, whose
  // member takes the fetched id.
  uint64_t localId = 0;
  for (const auto& e : existing) {
    const std::vector<std::string> urls = sortedUrls(e);
    bool found = false;
    for (auto& [name, local] : byName) {
      std::vector<std::string> sorted = local;
      std::sort(sorted.begin(), sorted.end());
      if (sorted != urls) continue;
      found = true;
      if (name == options_.name) localId = e.id();
      break;
    }
    if (!found) {
      return Status(StatusCode::FailedPrecondition,
                    failure + "PeerURLs: no match found for existing member (" + idToHex(e.id()) +
                        ", [" + joinedUrls(urls) + "]), last resolver error (<nil>)");
    }
    m->peers[e.id()] = urls;
  }
  m->memberId = localId;
  m->clusterId = clusterId;
  if (Status st = createWal(m); !st) return st;
  raft::Config cfg = raftConfig(m->memberId, true);
  if (Status st = raft::RawNode::create(cfg, &m->node); !st) return st;
  logger_.info(kCaller, "starting local member to join an existing cluster",
               jsonField("local-member-id", idToHex(m->memberId)) + "," +
                   jsonField("cluster-id", idToHex(m->clusterId)));
  return Status::ok();
}

}  // namespace cairn::server
