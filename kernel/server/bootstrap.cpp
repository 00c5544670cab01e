#include "bootstrap.h"

#include <filesystem>
#include <set>

#include "etcdserverpb/etcdserver.pb.h"
#include "member_ids.h"

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
  const bool exists = wal::Wal::exists(walDir_);
  if (Status st = exists ? recoverExisting(out) : bootstrapNew(out); !st) return st;
  return runRecoverHooks(registry);
}

Status Bootstrap::validateInitialCluster() const {
  std::vector<std::string> mine;
  std::set<std::string> names;
  for (const auto& [name, url] : options_.initialCluster) {
    names.insert(name);
    if (name == options_.name) mine.push_back(url);
  }
  if (mine.empty()) {
    return Status(StatusCode::InvalidArgument, "couldn't find local name \"" + options_.name +
                                                   "\" in the initial cluster configuration");
  }
  if (names.size() > 1) {
    return Status(StatusCode::Unimplemented,
                  "--initial-cluster names " + std::to_string(names.size()) +
                      " members; multi-member clusters are not yet in effect in this Cairn "
                      "build (single member only)");
  }
  std::set<std::string> a(mine.begin(), mine.end());
  std::set<std::string> b(options_.advertisePeerUrls.begin(), options_.advertisePeerUrls.end());
  if (a != b) {
    std::string got, want;
    for (const auto& u : b) got += (got.empty() ? "" : ",") + u;
    for (const auto& u : a) want += (want.empty() ? "" : ",") + u;
    return Status(StatusCode::InvalidArgument,
                  "--initial-cluster has " + options_.name + "=" + want +
                      " but missing from --initial-advertise-peer-urls=" + got);
  }
  return Status::ok();
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
  if (Status st = backend_.open(bopts); !st) {
    return Status(st.code(), "cannot open " + std::string(backend_.name()) + " backend at " +
                                 bopts.path + ": " + st.message());
  }
  m->store = std::make_unique<mvcc::KvStore>(backend_);
  if (Status st = m->store->restore(); !st) return st;
  m->snapshotter = std::make_unique<wal::Snapshotter>(snapDir_);
  return Status::ok();
}

raft::Config Bootstrap::raftConfig(uint64_t memberId) {
  raft::Config cfg;
  cfg.id = memberId;
  // One tick per heartbeat; the election timeout in ticks, as etcd derives it.
  cfg.electionTick = static_cast<int>(options_.electionTimeoutMs / options_.heartbeatIntervalMs);
  cfg.heartbeatTick = 1;
  cfg.storage = &raftStorage_;
  cfg.checkQuorum = true;
  cfg.preVote = options_.preVote;
  cfg.maxSizePerMsg = 1024 * 1024;
  cfg.maxInflightMsgs = 512;
  cfg.randomSeed =
      memberId ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return cfg;
}

Status Bootstrap::bootstrapNew(RecoveredMember* m) {
  if (Status st = validateInitialCluster(); !st) return st;
  m->memberId = computeMemberId(options_.advertisePeerUrls, options_.initialClusterToken);
  m->clusterId = computeClusterId({m->memberId});

  etcdserverpb::Metadata meta;
  meta.set_nodeid(m->memberId);
  meta.set_clusterid(m->clusterId);
  wal::Options wopts;
  wopts.segmentSizeBytes = options_.walSegmentBytes;
  std::error_code ec;
  fs::create_directories(fs::path(walDir_).parent_path(), ec);
  if (Status st = wal::Wal::create(walDir_, meta.SerializeAsString(), wopts, &m->wal); !st) {
    return st;
  }

  raft::Config cfg = raftConfig(m->memberId);
  if (Status st = raft::RawNode::create(cfg, &m->node); !st) return st;
  if (Status st = m->node->bootstrap({m->memberId}); !st) return st;
  logger_.info(kCaller, "starting local member",
               jsonField("local-member-id", idToHex(m->memberId)) + "," +
                   jsonField("cluster-id", idToHex(m->clusterId)));
  return Status::ok();
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
    if (snap.data().empty()) {
      return Status(StatusCode::DataLoss,
                    "backend is at index " + std::to_string(m->store->consistentIndex()) +
                        " but the snapshot at index " + std::to_string(snapIndex) +
                        " carries no backend state; the backend files are missing or stale");
    }
    bool fed = false;
    Status st = backend_.importState([&](std::string& chunk) {
      if (fed) return false;
      chunk = snap.data();
      fed = true;
      return true;
    });
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

  raft::Config cfg = raftConfig(m->memberId);
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
