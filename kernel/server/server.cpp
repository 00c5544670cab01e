#include "server.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "alarm_store.h"
#include "apply_chain.h"
#include "apply_loop.h"
#include "apply_request.h"
#include "auto_compactor.h"
#include "backend_quota.h"
#include "bootstrap.h"
#include "cluster_server.h"
#include "compactor.h"
#include "corruption_monitor.h"
#include "kv_applier.h"
#include "kv_server.h"
#include "lease/lessor.h"
#include "lease/min_lease_ttl.h"
#include "lease_applier.h"
#include "lease_driver.h"
#include "lease_forwarder.h"
#include "lease_server.h"
#include "maintenance_server.h"
#include "member_ids.h"
#include "member_publish.h"
#include "member_snapshots.h"
#include "metrics/metrics_registry.h"
#include "mvcc/kv_store.h"
#include "mvcc/write_txn.h"
#include "promote_forwarder.h"
#include "quota_alarmer.h"
#include "raft_node.h"
#include "reads.h"
#include "request_auth.h"
#include "server_events.h"
#include "service_context.h"
#include "snapshot_installer.h"
#include "startup_gate.h"
#include "transport/null_transport.h"
#include "transport/peer_listener.h"
#include "transport/tcp_transport.h"
#include "watch/watch_hub.h"
#include "watch_server.h"
#include "watch_syncer.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/server.cpp";
// Linearizable and serializable reads run here, never on the loops.
constexpr std::size_t kReadThreads = 2;

lease::LessorConfig lessorConfig(const ServerOptions& options) {
  lease::LessorConfig c;
  c.minTtl = lease::minLeaseTtl(static_cast<int64_t>(options.electionTimeoutMs),
                                static_cast<int64_t>(options.heartbeatIntervalMs));
  c.checkpointEnabled = options.leaseCheckpoint;
  c.checkpointPersist = options.leaseCheckpointPersist;
  // As etcd's server configures it: a revoke that has not applied within a
  // request timeout is assumed lost and proposed again.
  c.expiredRetryInterval =
      std::chrono::seconds(5) + std::chrono::milliseconds(2 * options.electionTimeoutMs);
  return c;
}

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

}  // namespace

Server::Server(ServerOptions options, std::unique_ptr<storage::Backend> backend, Logger& logger,
               const plugin::PluginRegistry& registry, Metrics* metrics,
               TransportFactory transportFactory)
    : options_(std::move(options)),
      logger_(logger),
      registry_(registry),
      backend_(std::move(backend)),
      transportFactory_(std::move(transportFactory)),
      // Until start() makes the peer transport.
      transport_(std::make_unique<transport::NullTransport>()),
      events_(std::make_unique<ServerEvents>()),
      ownMetrics_(metrics == nullptr ? std::make_unique<metrics::MetricsRegistry>() : nullptr),
      metricsRegistry_(metrics != nullptr ? *metrics : *ownMetrics_),
      metrics_(ServerMetrics::registerIn(metricsRegistry_)) {
  waiters_.observe(metrics_.pending, metrics_.failed);
}

Server::~Server() {
  stop();
}

KvService& Server::kv() {
  return *kv_;
}
LeaseService& Server::lease() {
  return *lease_;
}
WatchService& Server::watch() {
  return *watch_;
}
Cluster& Server::cluster() {
  return *cluster_;
}
Maintenance& Server::maintenance() {
  return *maintenance_;
}
Events& Server::events() {
  return *events_;
}

Status Server::start() {
  RecoveredMember m;
  // Peer TLS first, as etcd sets up its peer listeners before the server:
  // its files are checked and --peer-auto-tls makes its certificate even
  // where this member ends up with no peers to talk to.
  if (Status st = transport::PeerTls::create(options_.peerTls, logger_, &peerTls_); !st) return st;
  // A peer port that cannot be bound stops the start before the data dir is
  // written, as etcd's configurePeerListeners does.
  if (!transportFactory_) {
    if (Status st = transport::checkPeerListeners(options_.listenPeerUrls, peerTls_.get()); !st) {
      return st;
    }
  }
  Bootstrap bootstrap(options_, logger_, *backend_, raftStorage_);
  bootstrap.setPeerTls(peerTls_.get());
  if (Status st = bootstrap.run(registry_, &m); !st) return st;
  memberId_ = m.memberId;
  clusterId_ = m.clusterId;
  store_ = std::move(m.store);
  store_->observeCommits(metrics_.backendCommit);
  {
    std::unique_ptr<storage::ReadTxn> read = backend_->beginRead();
    if (Status st = members_.load(*read); !st) return st;
    alarms_ = std::make_unique<AlarmStore>();
    if (Status st = alarms_->load(*read); !st) return st;
  }
  // etcd checks before its member serves peers or clients, and only a
  // member that had data (a new member has nothing to compare).
  if (options_.initialCorruptCheck && m.recovered) {
    if (Status st = initialCorruptCheck(); !st) return st;
  }
  quota_ = std::make_unique<BackendQuota>(
      options_.quotaBackendBytes, [backend = backend_.get()] { return backend->sizeAllocated(); });
  quota_->logConfiguration(logger_, options_.quotaBackendBytes);
  clusterMode_ = m.peers.size() > 1;
  // Every member listens on its peer URLs, a single one too (as etcd's
  // does): it can grow (MemberAdd) and a joining member asks it for the
  // cluster. Bound when raft starts; checkPeerListeners() already refused
  // a start whose addresses cannot be bound.
  startPeerTransport(m.peers);

  lessor_ = std::make_unique<lease::Lessor>(lessorConfig(options_));
  leaseApplier_ = std::make_unique<LeaseApplier>(*store_, *lessor_, logger_);
  if (Status st = leaseApplier_->recover(*backend_); !st) return st;

  KvApplier::Options applierOptions;
  applierOptions.inlinePhysicalCompaction = false;  // the Compactor does it
  kvApplier_ = std::make_unique<KvApplier>(
      *store_, [this](int64_t id) { return lessor_->exists(id); }, applierOptions);

  watch::HubConfig hubConfig;
  // etcd splits fragmenting watchers' responses at the request size limit
  // plus the 512 KiB it allows for gRPC framing (grpcOverheadBytes).
  hubConfig.maxResponseBytes = options_.maxRequestBytes + 512 * 1024;
  watchHub_ = std::make_unique<watch::WatchHub>(
      store_->currentRevision(),
      [this](int64_t from, int64_t to, std::size_t limit, std::vector<mvccpb::Event>* out,
             int64_t* next) { return store_->history(from, to, limit, out, next); },
      [this](const std::string& key, int64_t rev, mvccpb::KeyValue* out) {
        mvcc::RangeOptions o;
        o.rev = rev;
        mvcc::RangeResult rr;
        if (!store_->range(key, "", o, &rr) || rr.kvs.empty()) return false;
        *out = std::move(rr.kvs.front());
        return true;
      },
      [this] { return store_->compactedRevision(); }, hubConfig);

  replyPool_ = std::make_unique<boost::asio::thread_pool>(1);
  // Named for profiles and scripts/bench-go's CPU by thread: its one thread
  // runs this first.
  boost::asio::post(*replyPool_, [] { pthread_setname_np(pthread_self(), "cairn-replies"); });
  startup_ = std::make_unique<StartupGate>(m.appliedIndex);

  // The raft loop's hooks reach parts made below, before the loop starts.
  RaftNode::Hooks hooks;
  hooks.leaderChanged = [this](uint64_t previous, uint64_t leader, uint64_t term) {
    metrics_.hasLeader->set(leader != 0 ? 1 : 0);
    metrics_.isLeader->set(leader == memberId_ ? 1 : 0);
    // As etcd counts them: each time a (different) leader becomes known.
    if (leader != 0 && leader != previous) metrics_.leaderChanges->inc();
    if (previous == memberId_ && leader != memberId_) leaseApplier_->demote();
    events_->publishLeadership(Leadership{leader, term, leader == memberId_});
  };
  hooks.committed = [this](std::vector<raftpb::Entry>&& entries) {
    if (!entries.empty()) metrics_.committed->set(static_cast<double>(entries.back().index()));
    applyLoop_->enqueue(std::move(entries));
  };
  hooks.snapshot = [this](const raftpb::Snapshot& snap) { applyLoop_->enqueueSnapshot(snap); };
  hooks.walSynced = [this](std::chrono::nanoseconds elapsed) {
    metrics_.walFsync->observe(std::chrono::duration<double>(elapsed).count());
  };
  hooks.removedByPeers = [this] { removedFromCluster(); };
  hooks.peerMessage = [this](raftpb::Message& msg) {
    return leaseForwarder_ != nullptr && leaseForwarder_->onPeerMessage(msg);
  };
  hooks.readsConfirmed = [this](uint64_t index, std::vector<ReadGate::Read>&& reads) {
    reads_->confirmed(index, std::move(reads));
  };
  raft_ = std::make_unique<RaftNode>(options_, logger_, memberId_, std::move(m.node), raftStorage_,
                                     std::move(m.wal), std::move(m.snapshotter), waiters_,
                                     *startup_, *transport_, std::move(hooks), !clusterMode_);
  reads_ = std::make_unique<Reads>(*raft_, kReadThreads, m.appliedIndex);
  gate_ = std::make_unique<CallGate>(CallGate::Probes{
      [raft = raft_.get()] { return raft->leader(); }, [this] { return cluster_->selfIsLearner(); },
      // Set before any client call is served.
      [this] { return leaderMonitor_ != nullptr && leaderMonitor_->leaderLost(); }});
  makePromoteForwarder();
  cluster_ = std::make_unique<ClusterServer>(options_, clusterId_, *raft_, *reads_, *store_,
                                             registry_.authorizer(), members_, *gate_,
                                             promoteForwarder_.get());
  compactor_ = std::make_unique<Compactor>(*store_, *replyPool_, logger_);
  quotaAlarmer_ = std::make_unique<QuotaAlarmer>(*quota_, *alarms_, *raft_, memberId_,
                                                 options_.quotaBackendBytes, logger_);
  chain_ = std::make_unique<ApplyChain>(registry_, *kvApplier_, *leaseApplier_, *compactor_,
                                        *store_, *backend_, *alarms_, *quota_, logger_);
  chain_->addApplier(etcdserverpb::InternalRaftRequest::kV2FieldNumber,
                     [this](const ApplyRequest& r, ApplyOutcome* out) {
                       std::unique_ptr<mvcc::WriteTxn> txn = store_->write();
                       out->result.status = applyV2Request(r.entry.v2(), members_, &txn->batch());
                       if (Status st = txn->end(r.index); !st) out->result.status = st;
                     });
  installer_ = std::make_unique<SnapshotInstaller>(
      SnapshotInstaller::Parts{logger_, *backend_, *store_, *leaseApplier_, *alarms_, members_,
                               registry_, *watchHub_, options_.dataDir + "/member/snap"});
  snapshots_ = std::make_unique<MemberSnapshots>(options_, logger_, *backend_, raftStorage_, *raft_,
                                                 m.snapshotIndex);
  applyLoop_ = std::make_unique<ApplyLoop>(
      ApplyLoop::Parts{options_,
                       logger_,
                       registry_,
                       *store_,
                       chain_->head(),
                       waiters_,
                       *replyPool_,
                       *compactor_,
                       *leaseApplier_,
                       *watchHub_,
                       *events_,
                       *reads_,
                       *startup_,
                       *snapshots_,
                       *raft_,
                       *cluster_,
                       metrics_,
                       members_,
                       [this](uint64_t id, const std::vector<std::string>& urls) {
                         if (urls.empty()) {
                           transport_->removePeer(id);
                         } else {
                           transport_->addPeer(id, urls);
                         }
                       },
                       quotaAlarmer_.get(),
                       [this] { removedFromCluster(); },
                       installer_.get(),
                       quota_.get()},
      m.appliedIndex, m.confState);
  watchSyncer_ = std::make_unique<WatchSyncer>(*watchHub_, options_.watchProgressNotifyInterval);
  leaseDriver_ = std::make_unique<LeaseDriver>(*raft_, *lessor_, logger_);
  if (options_.autoCompactionRetention > 0) {
    AutoCompactionSchedule schedule(
        options_.autoCompactionMode == "revision" ? AutoCompactionSchedule::Mode::Revision
                                                  : AutoCompactionSchedule::Mode::Periodic,
        options_.autoCompactionRetention, std::chrono::steady_clock::now());
    AutoCompactor::Hooks h;
    h.currentRevision = [this] { return store_->currentRevision(); };
    h.isLeader = [this] { return raft_->isLeader(); };
    h.compact = [this](int64_t rev, const std::function<bool()>& stopping) {
      return compactThroughRaft(rev, stopping);
    };
    autoCompactor_ = std::make_unique<AutoCompactor>(std::move(schedule), std::move(h), logger_);
  }
  if (options_.corruptCheckTime.count() > 0) makeCorruptionMonitor();
  // A single member needs them too once it has grown and lost leadership.
  leaseForwarder_ = std::make_unique<LeaseForwarder>(*raft_, *leaseDriver_, *lessor_, *cluster_);
  leaderMonitor_ = std::make_unique<LeaderMonitor>([raft = raft_.get()] { return raft->leader(); });

  ServiceContext services{options_,
                          registry_.authorizer(),
                          *raft_,
                          *reads_,
                          *cluster_,
                          *kvApplier_,
                          *lessor_,
                          *leaseDriver_,
                          *watchHub_,
                          leaseForwarder_.get(),
                          *quotaAlarmer_,
                          *gate_,
                          leaderMonitor_.get()};
  kv_ = std::make_unique<KvServer>(services);
  lease_ = std::make_unique<LeaseServer>(services);
  watch_ = std::make_unique<WatchServer>(services);
  maintenance_ = std::make_unique<MaintenanceServer>(
      registry_.authorizer(), *gate_, *cluster_, *backend_, *store_, *raft_,
      [loop = applyLoop_.get()] { return loop->appliedIndex(); }, *reads_, logger_,
      options_.dataDir + "/member/snap");

  ServerMetrics::attachSources(
      metricsRegistry_,
      ServerMetrics::Sources{
          [backend = backend_.get()] { return static_cast<double>(backend->sizeAllocated()); },
          [backend = backend_.get()] { return static_cast<double>(backend->sizeInUse()); },
          [store = store_.get()] { return static_cast<double>(store->liveKeyCount()); },
          [hub = watchHub_.get()] { return static_cast<double>(hub->watcherCount()); },
          [hub = watchHub_.get()] { return static_cast<double>(hub->unsyncedCount()); }});
  sourcesAttached_ = true;

  return startParts();
}

Status Server::startParts() {
  applyLoop_->start();
  if (Status st = raft_->start(); !st) {
    stop();
    return st;
  }
  compactor_->start();
  watchSyncer_->start();
  leaseDriver_->start();
  if (leaseForwarder_) leaseForwarder_->start();
  // etcd checks every election timeout.
  if (leaderMonitor_) {
    leaderMonitor_->start(std::chrono::milliseconds(options_.electionTimeoutMs));
  }
  if (autoCompactor_) autoCompactor_->start();
  if (corruptionMonitor_) corruptionMonitor_->start();

  if (!clusterMode_) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(10 * options_.electionTimeoutMs + 10000);
    if (!startup_->wait(deadline)) {
      stop();
      return Status(StatusCode::Unavailable, "member did not become ready (no leader elected)");
    }
  }
  // A single member publishes too (as etcd's does): once it has grown, the
  // others know its name and client URLs from the records.
  if (Status st = publish(); !st) {
    stop();
    return st;
  }
  logger_.info(kCaller, "published local member to cluster through raft",
               jsonField("local-member-id", idToHex(memberId_)) + "," +
                   jsonField("local-member-attributes",
                             "{Name:" + options_.name + " ClientURLs:[" +
                                 joined(options_.advertiseClientUrls, " ") + "]}") +
                   "," + jsonField("cluster-id", idToHex(clusterId_)));
  logger_.info("membership/cluster.go", "set initial cluster version",
               jsonField("cluster-id", idToHex(clusterId_)) + "," +
                   jsonField("local-member-id", idToHex(memberId_)) + "," +
                   jsonField("cluster-version", "3.4"));
  logger_.info("api/capability.go", "enabled capabilities for version",
               jsonField("cluster-version", "3.4"));
  return Status::ok();
}

Status Server::publish() {
  // etcd retries forever; Cairn gives the other members a minute to come up
  // (SIGTERM is only taken once start() returned).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60) +
                        std::chrono::milliseconds(10 * options_.electionTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    auto result = std::make_shared<std::promise<Status>>();
    std::future<Status> answered = result->get_future();
    // Every proposal is answered: applied, dropped (no leader), timed out
    // or stopped.
    raft_->propose(publishRequest(memberId_, options_.name, options_.advertiseClientUrls),
                   [result](ApplyResult&& r) { result->set_value(std::move(r.status)); });
    Status st = answered.get();
    if (st) return Status::ok();
    if (st.is(Error::Stopped) || st.is(Error::MemberNotFound)) return st;
    if (!st.is(Error::NoLeader)) {
      logger_.warn("etcdserver/server.go", "failed to publish local member to cluster through raft",
                   jsonField("local-member-id", idToHex(memberId_)) + "," +
                       jsonField("error", st.message()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.heartbeatIntervalMs));
  }
  return Status(StatusCode::Unavailable,
                "member did not join the cluster (no leader elected with a quorum of members)");
}

void Server::removedFromCluster() {
  // Learned from the apply loop, and maybe from every peer's answer too.
  if (removed_.exchange(true)) return;
  logger_.warn("etcdserver/server.go", "the member has been permanently removed from the cluster",
               jsonField("local-member-id", idToHex(memberId_)));
  if (!onRemoved_) return;
  // etcd stops a second later, so the answer to the removal can still leave.
  std::thread([fn = onRemoved_] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    fn();
  }).detach();
}

void Server::stop() {
  if (stopped_.exchange(true)) return;
  if (sourcesAttached_) ServerMetrics::detachSources(metricsRegistry_);
  if (startup_) startup_->abort();
  if (reads_) reads_->refuse();
  // Kept (not destroyed) until the server is: proposal callbacks of its
  // revokes still run when the waiters fail below.
  if (leaseForwarder_) leaseForwarder_->stop();
  if (promoteForwarder_) promoteForwarder_->stop();
  if (leaderMonitor_) leaderMonitor_->stop();
  if (leaseDriver_) leaseDriver_->stop();
  if (autoCompactor_) autoCompactor_->stop();
  if (corruptionMonitor_) corruptionMonitor_->stop();
  if (maintenance_) maintenance_->stop();
  if (watchSyncer_) watchSyncer_->stop();
  if (raft_) raft_->stop();
  if (applyLoop_) applyLoop_->stop();
  if (snapshots_) snapshots_->stop();
  if (compactor_) compactor_->stop();
  waiters_.failAll(Status(Error::Stopped));
  if (reads_) reads_->stop();
  if (replyPool_) replyPool_->join();
  if (Status st = backend_ && store_ ? backend_->sync() : Status::ok(); !st) {
    logger_.error(kCaller, "failed to sync backend on shutdown", jsonField("error", st.message()));
  }
  if (raft_) raft_->closeWal();
  // The store and the facets stay (answering Error::Stopped) until the
  // server is destroyed; nothing touches the backend any more.
  if (backend_) backend_->close();
}

void Server::proposeCommand(const RequestContext& ctx, const google::protobuf::Message& command,
                            MessageDone done) {
  const google::protobuf::Descriptor* type = command.GetDescriptor();
  if (registry_.command(type) == nullptr) {
    done(Status(StatusCode::InvalidArgument,
                "cairn: no plugin declared a command of type " + type->full_name()),
         nullptr);
    return;
  }
  if (!raft_ || stopped_) {
    done(Status(Error::Stopped), nullptr);
    return;
  }
  etcdserverpb::InternalRaftRequest ir;
  if (Status st = authorizeRequest(registry_.authorizer(), ctx, command, ir.mutable_header());
      !st) {
    done(std::move(st), nullptr);
    return;
  }
  if (const google::protobuf::FieldDescriptor* field = raftRequestFieldFor(type)) {
    // As etcd writes it (e.g. auth_user_add), so the entry reads the same.
    ir.GetReflection()->MutableMessage(&ir, field)->CopyFrom(command);
  } else {
    cairn::PluginCommand* pc = ir.mutable_cairn_plugin_command();
    pc->set_type(type->full_name());
    command.SerializeToString(pc->mutable_payload());
  }
  raft_->propose(std::move(ir), [done = std::move(done)](ApplyResult&& result) {
    done(std::move(result.status), std::move(result.response));
  });
}

Status Server::compactThroughRaft(int64_t rev, const std::function<bool()>& stopping) {
  etcdserverpb::InternalRaftRequest ir;
  ir.mutable_compaction()->set_revision(rev);
  auto answer = std::make_shared<std::promise<Status>>();
  std::future<Status> answered = answer->get_future();
  // Every proposal is answered (applied, dropped, timed out or stopped);
  // the promise outlives a caller that stopped waiting.
  raft_->propose(std::move(ir),
                 [answer](ApplyResult&& r) { answer->set_value(std::move(r.status)); });
  while (answered.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (stopping()) return Status(Error::Stopped);
  }
  return answered.get();
}

std::unique_ptr<storage::ReadTxn> Server::read() {
  return backend_->beginRead();
}

}  // namespace cairn::server
