#include "bootstrap.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "etcdserverpb/etcdserver.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "member_ids.h"
#include "snapshot_installer.h"
#include "transport/snapshot_file.h"

namespace cairn::server {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCaller = "server/bootstrap.cpp";

}  // namespace

Bootstrap::Bootstrap(const ServerOptions& options, Logger& logger, storage::Backend& backend,
                     raft::MemoryStorage& raftStorage)
    : options_(options), logger_(logger), backend_(backend), raftStorage_(raftStorage) {
  memberDir_ = options_.dataDir + "/member";
  walDir_ = options_.walDir.empty() ? memberDir_ + "/wal" : options_.walDir;
  snapDir_ = memberDir_ + "/snap";
}

Status Bootstrap::run(const plugin::PluginRegistry& registry, RecoveredMember* out) {
  if (Status st = openStorage(out); !st) return st;
  if (Status st = importEtcdDataDir(out); !st) return st;
  const bool exists = wal::Wal::exists(walDir_);
  out->recovered = exists;
  if (Status st = exists ? recoverExisting(out) : bootstrapNew(out); !st) return st;
  return runRecoverHooks(registry);
}

Status Bootstrap::validateInitialCluster() const {
  // etcd's ServerConfig.VerifyBootstrap / VerifyJoinExisting, in order.
  std::map<std::string, std::set<std::string>> byName;
  for (const auto& [name, url] : options_.initialCluster) byName[name].insert(url);
  auto mine = byName.find(options_.name);
  if (mine == byName.end()) {
    return Status(StatusCode::InvalidArgument, "couldn't find local name \"" + options_.name +
                                                   "\" in the initial cluster configuration");
  }
  // types.URLsMap.String(): name=url pairs, names sorted.
  std::string urlsMap;
  std::set<std::string> seen;
  bool duplicate = false;
  for (const auto& [name, urls] : byName) {
    for (const auto& u : urls) {
      urlsMap += (urlsMap.empty() ? "" : ",") + name + "=" + u;
      duplicate |= !seen.insert(u).second;
    }
  }
  if (options_.initialClusterState == "new") {
    if (Status st = advertiseMatchesCluster(mine->second); !st) return st;
  }
  if (duplicate) {
    return Status(StatusCode::InvalidArgument, "initial cluster " + urlsMap + " has duplicate url");
  }
  return Status::ok();
}

Status Bootstrap::advertiseMatchesCluster(const std::set<std::string>& clusterUrls) const {
  // etcd's ServerConfig.advertiseMatchesCluster, with its wording (host
  // names are compared as written; etcd would resolve them first).
  std::vector<std::string> a(options_.advertisePeerUrls.begin(), options_.advertisePeerUrls.end());
  std::sort(a.begin(), a.end());
  std::vector<std::string> b(clusterUrls.begin(), clusterUrls.end());
  if (a == b) return Status::ok();
  auto quoted = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " \"" : "\"") + v[i] + "\"";
    return s + "]";
  };
  std::string why;
  if (a.size() != b.size()) {
    why = "len(" + quoted(a) + ") != len(" + quoted(b) + ")";
  } else {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) {
        why = "resolved urls: \"" + a[i] + "\" != \"" + b[i] + "\"";
        break;
      }
    }
  }
  const std::set<std::string> advertised(a.begin(), a.end());
  std::string missing;
  for (const auto& u : b) {
    if (advertised.count(u) == 0) missing += (missing.empty() ? "" : ",") + options_.name + "=" + u;
  }
  std::string joined;
  for (const auto& u : a) joined += (joined.empty() ? "" : ",") + u;
  if (!missing.empty()) {
    return Status(StatusCode::InvalidArgument,
                  "--initial-cluster has " + missing +
                      " but missing from --initial-advertise-peer-urls=" + joined + " (" + why +
                      ")");
  }
  std::string extra, umap;
  for (const auto& u : a) {
    if (clusterUrls.count(u) == 0) extra += (extra.empty() ? "" : ",") + u;
    umap += (umap.empty() ? "" : ",") + options_.name + "=" + u;
  }
  return Status(StatusCode::InvalidArgument, "--initial-advertise-peer-urls has " + extra +
                                                 " but missing from --initial-cluster=" + umap);
}

Status Bootstrap::openStorage(RecoveredMember* m) {
  std::error_code ec;
  fs::create_directories(snapDir_, ec);
  if (ec) {
    return Status(StatusCode::FailedPrecondition,
                  "cannot create data dir " + snapDir_ + ": " + ec.message());
  }
  storage::Options bopts = options_.backendOptions;
  bopts.path = memberDir_ + "/" + std::string(backend_.name());
  bopts.logger = &logger_;
  if (Status st = backend_.open(bopts); !st) {
    return Status(st.code(), "cannot open " + std::string(backend_.name()) + " backend at " +
                                 bopts.path + ": " + st.message());
  }
  m->store = std::make_unique<mvcc::KvStore>(backend_);
  if (Status st = m->store->restore(); !st) return st;
  m->snapshotter = std::make_unique<wal::Snapshotter>(snapDir_);
  // A snapshot's state whose reception a stop interrupted is of no use.
  transport::purgeSnapshotStateFiles(snapDir_, 0, true);
  return Status::ok();
}

raft::Config Bootstrap::raftConfig(uint64_t memberId, bool cluster) {
  raft::Config cfg;
  cfg.id = memberId;
  // One tick per heartbeat; the election timeout in ticks, as etcd derives it.
  cfg.electionTick = static_cast<int>(options_.electionTimeoutMs / options_.heartbeatIntervalMs);
  cfg.heartbeatTick = 1;
  cfg.storage = &raftStorage_;
  cfg.checkQuorum = true;
  // A cluster always runs pre-vote, so a member that comes back from a
  // partition does not depose a healthy leader; a single member follows
  // --pre-vote (nothing to disturb).
  cfg.preVote = options_.preVote || cluster;
  cfg.maxSizePerMsg = 1024 * 1024;
  cfg.maxInflightMsgs = 512;
  cfg.randomSeed =
      memberId ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return cfg;
}

std::map<uint64_t, etcdserverpb::Member> Bootstrap::initialMembers(uint64_t* selfId) const {
  std::map<std::string, std::vector<std::string>> byName;
  for (const auto& [name, url] : options_.initialCluster) byName[name].push_back(url);
  std::map<uint64_t, etcdserverpb::Member> members;
  for (const auto& [name, urls] : byName) {
    etcdserverpb::Member member;
    member.set_id(computeMemberId(urls, options_.initialClusterToken));
    std::vector<std::string> sorted = urls;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& u : sorted) member.add_peerurls(u);
    if (name == options_.name) *selfId = member.id();
    members[member.id()] = std::move(member);
  }
  return members;
}

Status Bootstrap::bootstrapNew(RecoveredMember* m) {
  if (Status st = validateInitialCluster(); !st) return st;
  if (options_.initialClusterState == "existing") return joinExisting(m);
  // Every member derives the same ids and the same bootstrap entries: one
  // ADD_NODE per member, ordered by id, each carrying its raft attributes.
  std::map<uint64_t, etcdserverpb::Member> members = initialMembers(&m->memberId);
  std::vector<uint64_t> ids;
  std::vector<raft::RawNode::Peer> peers;
  for (const auto& [id, member] : members) {
    ids.push_back(id);
    peers.push_back(raft::RawNode::Peer{id, member.SerializeAsString()});
    m->peers[id] = std::vector<std::string>(member.peerurls().begin(), member.peerurls().end());
  }
  m->clusterId = computeClusterId(ids);
  if (Status st = createWal(m); !st) return st;

  raft::Config cfg = raftConfig(m->memberId, peers.size() > 1);
  if (Status st = raft::RawNode::create(cfg, &m->node); !st) return st;
  if (Status st = m->node->bootstrapPeers(peers); !st) return st;
  logger_.info(kCaller, "starting local member",
               jsonField("local-member-id", idToHex(m->memberId)) + "," +
                   jsonField("cluster-id", idToHex(m->clusterId)));
  return Status::ok();
}

Status Bootstrap::createWal(RecoveredMember* m) {
  etcdserverpb::Metadata meta;
  meta.set_nodeid(m->memberId);
  meta.set_clusterid(m->clusterId);
  wal::Options wopts;
  wopts.segmentSizeBytes = options_.walSegmentBytes;
  std::error_code ec;
  fs::create_directories(fs::path(walDir_).parent_path(), ec);
  return wal::Wal::create(walDir_, meta.SerializeAsString(), wopts, &m->wal);
}

Status Bootstrap::recoverExisting(RecoveredMember* m) {
  std::vector<wal::WalSnapshot> markers;
  if (Status st = wal::readSnapshotMarkers(walDir_, &markers); !st) return st;
  raftpb::Snapshot snap;
  bool haveSnap = false;
  if (Status st = m->snapshotter->loadNewestAvailable(markers, &snap); st) {
    haveSnap = true;
  } else if (st.code() != StatusCode::NotFound) {
    return st;
  }
  const uint64_t snapIndex = haveSnap ? snap.metadata().index() : 0;
  // A backend that is behind the snapshot (memory backend after a restart,
  // or a backend switch) is restored from the snapshot's exported state.
  if (haveSnap && m->store->consistentIndex() < snapIndex) {
    // The state is in the snapshot (the memory backend's own snapshots), or
    // in the state file a leader's snapshot arrived with (the member
    // stopped before it was installed, or runs the memory backend).
    const std::string statePath =
        transport::snapshotStatePath(snapDir_, snap.metadata().term(), snapIndex);
    Status st;
    if (!snap.data().empty()) {
      bool fed = false;
      st = backend_.importState([&](std::string& chunk) {
        if (fed) return false;
        chunk = snap.data();
        fed = true;
        return true;
      });
    } else if (fs::exists(statePath)) {
      st = importSnapshotState(backend_, statePath);
      if (st) st = backend_.sync();
    } else {
      return Status(StatusCode::DataLoss,
                    "backend is at index " + std::to_string(m->store->consistentIndex()) +
                        " but the snapshot at index " + std::to_string(snapIndex) +
                        " carries no backend state; the backend files are missing or stale");
    }
    if (!st) return st;
    m->store = std::make_unique<mvcc::KvStore>(backend_);
    if (Status rst = m->store->restore(); !rst) return rst;
    logger_.info(kCaller, "restored backend from snapshot",
                 jsonField("snapshot-index", static_cast<long long>(snapIndex)));
  }

  std::string metadata;
  raftpb::HardState hs;
  std::vector<raftpb::Entry> entries;
  bool repaired = false;
  wal::Options wopts;
  wopts.segmentSizeBytes = options_.walSegmentBytes;
  wal::WalSnapshot from{snapIndex, haveSnap ? snap.metadata().term() : 0};
  if (Status st =
          wal::Wal::open(walDir_, from, wopts, &m->wal, &metadata, &hs, &entries, &repaired);
      !st) {
    return st;
  }
  if (repaired) {
    logger_.warn(kCaller, "repaired torn tail of the write-ahead log",
                 jsonField("wal-dir", walDir_));
  }
  etcdserverpb::Metadata meta;
  if (!meta.ParseFromString(metadata)) {
    return Status(StatusCode::DataLoss, "wal: cannot parse member metadata in " + walDir_);
  }
  m->memberId = meta.nodeid();
  m->clusterId = meta.clusterid();

  if (haveSnap) {
    if (Status st = raftStorage_.applySnapshot(snap); !st) return st;
    m->confState = snap.metadata().conf_state();
    m->snapshotIndex = snapIndex;
  }
  raftStorage_.setHardState(hs);
  if (Status st = raftStorage_.append(entries); !st) return st;

  collectPeers(entries, haveSnap ? snap.metadata().conf_state() : raftpb::ConfState(), m);
  raft::Config cfg = raftConfig(m->memberId, m->peers.size() > 1);
  // Raft re-delivers every committed entry after the snapshot: membership
  // lives in raft's conf state, which is rebuilt by re-applying the conf
  // changes after the snapshot. Requests the backend already holds
  // (index <= consistent_index) are skipped by the apply loop.
  cfg.applied = snapIndex;
  if (Status st = raft::RawNode::create(cfg, &m->node); !st) return st;
  m->appliedIndex = cfg.applied;
  logger_.info(
      kCaller, "restarting local member",
      jsonField("local-member-id", idToHex(m->memberId)) + "," +
          jsonField("cluster-id", idToHex(m->clusterId)) + "," +
          jsonField("commit-index", static_cast<long long>(hs.commit())) + "," +
          jsonField("consistent-index", static_cast<long long>(m->store->consistentIndex())));
  return Status::ok();
}

void Bootstrap::collectPeers(const std::vector<raftpb::Entry>& entries,
                             const raftpb::ConfState& snapConf, RecoveredMember* m) {
  // The members as of the snapshot (URLs from the backend's records), then
  // the conf changes the WAL holds after it.
  std::map<uint64_t, std::vector<std::string>> known;
  std::unique_ptr<storage::ReadTxn> read = backend_.beginRead();
  (void)read->range(storage::kMembersBucket, "", "", 0, false,
                    [&](std::string_view, std::string_view value) {
                      etcdserverpb::Member member;
                      if (member.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                        known[member.id()] = {member.peerurls().begin(), member.peerurls().end()};
                      }
                      return true;
                    });
  std::map<uint64_t, std::vector<std::string>> peers;
  for (uint64_t id : snapConf.voters()) peers[id] = known[id];
  for (uint64_t id : snapConf.learners()) peers[id] = known[id];
  for (const auto& e : entries) {
    if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data())) continue;
    if (cc.type() == raftpb::CONF_CHANGE_REMOVE_NODE) {
      peers.erase(cc.node_id());
      continue;
    }
    etcdserverpb::Member member;
    if (!cc.context().empty() && member.ParseFromString(cc.context())) {
      peers[cc.node_id()] = {member.peerurls().begin(), member.peerurls().end()};
    } else {
      peers[cc.node_id()] = known[cc.node_id()];
    }
  }
  // A member recovered without any of this (an old single-member data dir)
  // still knows itself.
  if (peers.empty()) peers[m->memberId] = options_.advertisePeerUrls;
  m->peers = std::move(peers);
}

Status Bootstrap::runRecoverHooks(const plugin::PluginRegistry& registry) {
  const auto& hooks = registry.recoverHooks();
  if (hooks.empty()) return Status::ok();
  // One consistent read of the recovered state for every hook; nothing
  // writes until the apply loop starts.
  std::unique_ptr<storage::ReadTxn> read = backend_.beginRead();
  for (const auto& hook : hooks) {
    if (Status st = hook(*read); !st) return st;
  }
  return Status::ok();
}

}  // namespace cairn::server
