// Server: one Cairn member, assembled from one part per job.
//
//   Bootstrap        storage open, new member or recovery, plugin recover hooks
//   RaftNode         raft loop "cairn-raft": ticks, proposals, ReadIndex,
//                    Ready handling, WAL group commit, the Transport seam
//   ApplyLoop        apply loop "cairn-apply": committed entries through the
//                    ApplyChain (AlarmApplier -> AuthApplier -> QuotaApplier
//                    -> ApplyDispatcher -> KV, lease and plugin appliers),
//                    replies, snapshots (MemberSnapshots)
//   AlarmStore       active alarms ("alarm" bucket); BackendQuota and
//                    QuotaAlarmer: --quota-backend-bytes and NOSPACE
//   Compactor        "cairn-compact": physical compaction, physical replies
//   AutoCompactor    "cairn-autocomp": --auto-compaction-* (leader only)
//   WatchSyncer      "cairn-watch": lagging watchers, progress notifications
//   LeaseApplier     applied lease state; LeaseDriver "cairn-lease": expiry
//   PromoteForwarder "cairn-promote": a follower's MemberPromote asked of
//                    the leader over the peer transport
//   Reads            read pool (2 threads) and the ReadGate
//   reply pool       1 thread: proposers are answered here, never on the
//                    apply loop
//   the SDK facets   KvServer, LeaseServer, WatchServer, ClusterServer,
//                    MaintenanceServer, ServerEvents
//
// The Server itself only wires them: start() and stop() run on the caller's
// (main) thread; the facets, proposeCommand() and read() are thread-safe.
// Its parts are not exposed; plugins reach them through the facets.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cairn/cluster.h"
#include "cairn/events.h"
#include "cairn/host.h"
#include "cairn/logger.h"
#include "cairn/maintenance.h"
#include "cairn/request_context.h"
#include "cairn/service.h"
#include "cairn/status.h"
#include "cairn/storage.h"
#include "call_gate.h"
#include "corruption_check.h"
#include "leader_monitor.h"
#include "member_registry.h"
#include "plugin/plugin_registry.h"
#include "raft/memory_storage.h"
#include "server_metrics.h"
#include "server_options.h"
#include "wait_registry.h"

namespace cairn::transport {
class Transport;
}

namespace cairn::mvcc {
class KvStore;
}

namespace cairn::lease {
class Lessor;
}

namespace cairn::watch {
class WatchHub;
}

namespace cairn::server {

class AlarmStore;
class ApplyChain;
class ApplyLoop;
class AutoCompactor;
class BackendQuota;
class ClusterServer;
class Compactor;
class CorruptionMonitor;
class KvApplier;
class KvServer;
class LeaseApplier;
class LeaseDriver;
class LeaseForwarder;
class LeaseServer;
class MaintenanceServer;
class MemberSnapshots;
class PromoteForwarder;
class QuotaAlarmer;
class RaftNode;
class Reads;
class ServerEvents;
class SnapshotInstaller;
class StartupGate;
class WatchServer;
class WatchSyncer;

class Server {
 public:
  // Makes a cluster member's transport once its ids are known; the default
  // is a TcpTransport on --listen-peer-urls (tests pass a simulated network).
  using TransportFactory =
      std::function<std::unique_ptr<transport::Transport>(uint64_t memberId, uint64_t clusterId)>;

  // `registry` is sealed and outlives the server. The member's figures go
  // into `metrics` (the registry plugins share), which outlives the server;
  // without one they go into a registry of the server's own.
  Server(ServerOptions options, std::unique_ptr<storage::Backend> backend, Logger& logger,
         const plugin::PluginRegistry& registry, Metrics* metrics = nullptr,
         TransportFactory transportFactory = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Recovers from (or bootstraps) the data dir, runs the plugins' recover
  // hooks, starts the loops and returns once this member leads and has
  // applied everything committed before.
  Status start();
  // Before a graceful stop: a leader hands leadership to the voter it has
  // been connected to the longest and waits for it to lead (etcd's
  // TransferLeadership; see leadership_handover.h). Lifecycle thread.
  Status handOverLeadership();
  // Stops the loops; pending requests fail with Error::Stopped.
  void stop();
  // What to do once this member was removed from the cluster (set before
  // start(); the process stops itself, as etcd does). Called once, a second
  // after the removal was applied, on a thread of its own.
  void onRemoved(std::function<void()> fn) { onRemoved_ = std::move(fn); }

  // The SDK facets, valid after start() succeeded.
  KvService& kv();
  LeaseService& lease();
  WatchService& watch();
  Cluster& cluster();
  Maintenance& maintenance();
  Events& events();

  // Host::propose: a command of a type a plugin declared, in the etcd field
  // of its type or as cairn_plugin_command; `done` gets the apply handler's
  // status and response. InvalidArgument (nothing proposed) for a type no
  // plugin declared.
  void proposeCommand(const RequestContext& ctx, const google::protobuf::Message& command,
                      MessageDone done);
  // etcd's interceptor checks (learner, require-leader) for a client call to
  // a plugin's service; valid after start() succeeded.
  Status admitClientCall(const RequestContext& ctx) const { return gate_->admit(ctx); }
  // Host::read: a consistent read of the applied state.
  std::unique_ptr<storage::ReadTxn> read();

  uint64_t memberId() const { return memberId_; }
  uint64_t clusterId() const { return clusterId_; }

 private:
  // The apply loop applied this member's removal.
  void removedFromCluster();
  Status startParts();
  // Every member: proposes its attributes until they are applied here
  // (etcd's publish), which also means it caught up with the cluster.
  Status publish();
  // Makes the member's peer transport (a single one too) and adds `peers`
  // (server_transport.cpp). start()'s thread.
  void startPeerTransport(const std::map<uint64_t, std::vector<std::string>>& peers);
  void makePromoteForwarder();  // needs raft_ and transport_
  // The auto compactor's Compact: proposes it and waits for the answer
  // (Error::Stopped once `stopping` says so).
  Status compactThroughRaft(int64_t rev, const std::function<bool()>& stopping);
  // The corruption checks (server_corruption.cpp): what CorruptionCheck is
  // given, the initial check of a recovered member, a peer's HashKV
  // answered on the read pool, the periodic monitor.
  CorruptionCheck::Parts corruptionCheckParts();
  Status initialCorruptCheck();
  void answerHashKv(int64_t revision,
                    std::function<void(const Status&, const transport::HashKvAnswer&)> done);
  void makeCorruptionMonitor();
  std::chrono::milliseconds requestTimeout() const;

  const ServerOptions options_;
  Logger& logger_;
  const plugin::PluginRegistry& registry_;
  std::unique_ptr<storage::Backend> backend_;
  const TransportFactory transportFactory_;
  std::unique_ptr<transport::Transport> transport_;
  // Before start() (any thread may subscribe, e.g. a plugin's start()).
  std::unique_ptr<ServerEvents> events_;
  std::unique_ptr<Metrics> ownMetrics_;  // only when the caller gave none
  Metrics& metricsRegistry_;             // the caller's, or ownMetrics_
  // Registered in the constructor; each figure's writer is noted there.
  const ServerMetrics metrics_;

  // Set by start() on the calling thread before any other thread runs,
  // constant afterwards.
  uint64_t memberId_ = 0;
  uint64_t clusterId_ = 0;
  // TLS for https:// peer URLs (null: none), shared by the transport, the
  // join query and the corruption checks' HashKV requests.
  std::shared_ptr<transport::PeerTls> peerTls_;
  bool clusterMode_ = false;  // more than one member at start (pre-vote, no early campaign)
  // The components below are made by the constructor or start(), on the
  // lifecycle thread, before the member's threads run (hashKvPeers_ later,
  // as its note says), and destroyed with the Server, after stop() joined
  // those threads: the pointers do not change in between. Each component's
  // header names the threads that use it and what guards its state; the
  // notes here say only which ones synchronise themselves.
  raft::MemoryStorage raftStorage_;             // internally synchronised
  WaitRegistry waiters_;                        // internally synchronised
  MemberRegistry members_;                      // internally synchronised
  std::unique_ptr<AlarmStore> alarms_;          // internally synchronised
  std::unique_ptr<BackendQuota> quota_;         // thread-safe
  std::unique_ptr<QuotaAlarmer> quotaAlarmer_;  // thread-safe
  std::unique_ptr<StartupGate> startup_;
  std::unique_ptr<mvcc::KvStore> store_;
  std::unique_ptr<lease::Lessor> lessor_;      // internally synchronised
  std::unique_ptr<watch::WatchHub> watchHub_;  // internally synchronised
  std::unique_ptr<KvApplier> kvApplier_;
  std::unique_ptr<LeaseApplier> leaseApplier_;
  // Completes proposals: answering a client runs the frontend's send path
  // (for gRPC, socket writes), which must not occupy the apply loop.
  std::unique_ptr<boost::asio::thread_pool> replyPool_;
  std::unique_ptr<RaftNode> raft_;
  std::unique_ptr<Reads> reads_;
  std::unique_ptr<CallGate> gate_;  // before cluster_, which reads it
  std::unique_ptr<ClusterServer> cluster_;
  std::unique_ptr<Compactor> compactor_;
  std::unique_ptr<ApplyChain> chain_;
  std::unique_ptr<SnapshotInstaller> installer_;
  std::unique_ptr<MemberSnapshots> snapshots_;
  std::unique_ptr<ApplyLoop> applyLoop_;
  std::unique_ptr<WatchSyncer> watchSyncer_;
  std::unique_ptr<AutoCompactor> autoCompactor_;  // with --auto-compaction-retention only
  std::unique_ptr<LeaseDriver> leaseDriver_;
  std::unique_ptr<LeaseForwarder> leaseForwarder_;
  std::unique_ptr<PromoteForwarder> promoteForwarder_;
  std::unique_ptr<LeaderMonitor> leaderMonitor_;
  // Made by the first corruption check set up (start()'s thread), then
  // used by one check at a time (the initial one, then the monitor's
  // thread); stateless.
  std::unique_ptr<HashKvPeers> hashKvPeers_;
  // Only with --experimental-corrupt-check-time.
  std::unique_ptr<CorruptionMonitor> corruptionMonitor_;
  std::unique_ptr<KvServer> kv_;
  std::unique_ptr<LeaseServer> lease_;
  std::unique_ptr<WatchServer> watch_;
  std::unique_ptr<MaintenanceServer> maintenance_;

  std::atomic<bool> stopped_{false};
  std::atomic<bool> removed_{false};  // removedFromCluster ran (any thread)
  std::function<void()> onRemoved_;   // set before start()
  bool sourcesAttached_ = false;      // set by start(), read by stop() (lifecycle thread)
};

}  // namespace cairn::server
