// Server's peer transport: every member's TcpTransport (or the test's
// factory) wired to this member's records, TLS, corruption checks,
// snapshots and followers' forwarded promotions.
#include "cluster_server.h"
#include "member_registry.h"
#include "server.h"
#include "transport/tcp_transport.h"

namespace cairn::server {

void Server::startPeerTransport(const std::map<uint64_t, std::vector<std::string>>& peers) {
  if (transportFactory_) {
    transport_ = transportFactory_(memberId_, clusterId_);
  } else {
    transport::TcpTransportOptions topts;
    topts.localId = memberId_;
    topts.clusterId = clusterId_;
    topts.listenUrls = options_.listenPeerUrls;
    topts.metrics = &metricsRegistry_;
    topts.tls = peerTls_;
    topts.isRemoved = [this](uint64_t id) { return members_.isRemoved(id); };
    // A joining member's question (--initial-cluster-state=existing): the
    // members as the records hold them.
    topts.describeCluster = [this] {
      etcdserverpb::MemberListResponse resp;
      resp.mutable_header()->set_cluster_id(clusterId_);
      for (const auto& member : members_.all()) *resp.add_members() = member;
      return resp.SerializeAsString();
    };
    // Peers' corruption checks; answered once the read pool exists (the
    // transport accepts nothing before raft starts it).
    topts.hashKv = [this](int64_t revision, auto done) { answerHashKv(revision, std::move(done)); };
    transport_ = std::make_unique<transport::TcpTransport>(std::move(topts), logger_);
  }
  for (const auto& [id, urls] : peers) transport_->addPeer(id, urls);
  // Followers' forwarded promotions; cluster_ exists before raft starts the
  // transport.
  transport_->setPromoteHandler(
      [this](uint64_t id, auto done) { cluster_->promoteForPeer(id, std::move(done)); });
  // Snapshots to lagging followers carry a consistent export of the
  // backend (taken when sent, so possibly newer than the snapshot); those
  // from the leader land in member/snap.
  transport::SnapshotIo snapIo;
  snapIo.exportState = [backend =
                            backend_.get()](const std::function<Status(std::string_view)>& sink) {
    return backend->exportState(sink);
  };
  snapIo.dir = options_.dataDir + "/member/snap";
  transport_->setSnapshotIo(std::move(snapIo));
}

// A follower's MemberPromote goes to the leader over the peer protocol.
void Server::makePromoteForwarder() {
  PromoteForwarder::Parts promoteParts;
  promoteParts.leader = [raft = raft_.get()] { return raft->leader(); };
  promoteParts.peerUrlsOf = [this](uint64_t id) {
    std::optional<etcdserverpb::Member> member = members_.find(id);
    return member ? std::vector<std::string>(member->peerurls().begin(), member->peerurls().end())
                  : std::vector<std::string>{};
  };
  promoteParts.transport = transport_.get();
  promoteParts.requestTimeout = requestTimeout();
  promoteParts.electionTimeout = std::chrono::milliseconds(options_.electionTimeoutMs);
  promoteForwarder_ = std::make_unique<PromoteForwarder>(std::move(promoteParts));
}

}  // namespace cairn::server
