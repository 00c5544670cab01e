// ApplyLoop: applies committed entries in log order on its own thread
// ("cairn-apply").
//
// For each entry: conf changes go to raft (on the raft loop) and to the
// cluster's member list; a client request is decoded and run through the
// apply chain (AuthApplier -> ApplyDispatcher -> appliers), each write
// recording the entry's index as consistent_index with its changes; an
// entry that writes nothing still records its index. Consecutive puts,
// deletes and txns of a batch form one write group (KvStore::beginGroup):
// one backend commit for all of them, made before anything else is applied
// and at the batch's end. A write's events move lease attachments at once;
// they reach the applied subscribers and the watch hub, in that order, once
// the group is committed, and the proposers are answered on the reply pool
// (the frontend's send path never runs here) after that; an entry that
// answered NoSpace first raises the NOSPACE alarm, as etcd does. After each
// batch of entries: held linearizable reads are released, start() is told,
// and a snapshot is taken when due. Entries at or below the backend's consistent
// index (WAL replay after a restart, or after a leader's snapshot whose
// state was newer than its index) are skipped. A snapshot from the leader
// arrives in log order with the entries and is installed
// (SnapshotInstaller) before anything after it.
//
// Threads: enqueue() from the raft loop (under mu_); everything else on the
// apply thread. appliedIndex() from any thread.
#pragma once

#include <google/protobuf/arena.h>

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "applier.h"
#include "backend_quota.h"
#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cluster_server.h"
#include "compactor.h"
#include "lease_applier.h"
#include "member_registry.h"
#include "member_snapshots.h"
#include "mvcc/kv_store.h"
#include "plugin/plugin_registry.h"
#include "quota_alarmer.h"
#include "raft_node.h"
#include "reads.h"
#include "server_events.h"
#include "server_metrics.h"
#include "server_options.h"
#include "snapshot_installer.h"
#include "startup_gate.h"
#include "wait_registry.h"
#include "watch/watch_hub.h"

namespace cairn::server {

class ApplyLoop {
 public:
  // What the loop drives; every part outlives the loop.
  struct Parts {
    const ServerOptions& options;
    Logger& logger;
    const plugin::PluginRegistry& registry;
    mvcc::KvStore& store;
    Applier& chain;
    WaitRegistry& waiters;
    boost::asio::thread_pool& replies;
    Compactor& compactor;
    LeaseApplier& leases;
    watch::WatchHub& watchHub;
    ServerEvents& events;
    Reads& reads;
    StartupGate& startup;
    MemberSnapshots& snapshots;
    RaftNode& raft;
    ClusterServer& cluster;
    const ServerMetrics& metrics;
    MemberRegistry& members;
    // A member was added (or re-addressed), or removed (`urls` empty):
    // the transport follows.
    std::function<void(uint64_t id, const std::vector<std::string>& urls)> memberChanged;
    // Raises NOSPACE when an entry overran the backend quota (null: never).
    QuotaAlarmer* quota = nullptr;
    // This member was removed from the cluster (optional; must not block).
    std::function<void()> removedSelf;
    // Installs the leader's snapshots (null: none expected, single member).
    SnapshotInstaller* installer = nullptr;
    // Told when a batch's writes are in the backend (null: no quota).
    BackendQuota* quotaBytes = nullptr;
  };

  ApplyLoop(Parts parts, uint64_t appliedIndex, raftpb::ConfState confState);
  ~ApplyLoop() { stop(); }
  ApplyLoop(const ApplyLoop&) = delete;
  ApplyLoop& operator=(const ApplyLoop&) = delete;

  void start();
  // Applies what is queued, then joins.
  void stop();

  // Raft loop: committed entries, in log order.
  void enqueue(std::vector<raftpb::Entry>&& entries);
  // Raft loop: a snapshot from the leader, persisted in the WAL and the
  // snapshot dir; installed before the entries enqueued after it.
  void enqueueSnapshot(const raftpb::Snapshot& snap);
  uint64_t appliedIndex() const { return appliedIndex_.load(); }

  // The arena's own first block: a batch of puts decodes within it, so
  // decoding allocates nothing (bigger batches chain heap blocks, freed at
  // the batch's end).
  static constexpr std::size_t kArenaBlockBytes = 256 * 1024;

 private:
  void loop();
  void applySnapshot(const raftpb::Snapshot& snap);
  void applyEntry(const raftpb::Entry& entry);
  void applyNormal(const raftpb::Entry& entry);
  void applyConfChange(const raftpb::Entry& entry);
  // The member records (and the transport) follow an accepted conf change.
  void recordMemberChange(const raftpb::ConfChange& cc, storage::WriteBatch* batch);
  // Whether a request of this InternalRaftRequest field may join a write
  // group: KV writes only, whose appliers read the store through their
  // write transaction (which sees the group). Anything else commits the
  // group first.
  static bool groupable(const google::protobuf::FieldDescriptor* field);
  // Lease attachments at once; applied subscribers, then watchers (which
  // keep the events), when the write is committed.
  void publish(std::vector<mvccpb::Event>&& events);
  // Applied subscribers, then watchers, for one committed write.
  void deliver(std::vector<mvccpb::Event>&& events);
  // Commits the open write group, then publishes its events in order.
  void commitGroup();
  void reply(uint64_t requestId, ApplyOutcome&& outcome);
  // Hands the answers collected while applying one batch of entries to the
  // reply pool in one job: one wake-up of its thread per batch, not per
  // entry.
  void flushReplies();

  Parts p_;
  // The decoded requests of the batch being applied (apply thread only).
  std::unique_ptr<char[]> arenaBlock_;
  google::protobuf::Arena arena_;

  // Committed entries from the raft loop.
  std::mutex mu_;
  std::condition_variable cv_;
  struct Work {
    std::optional<raftpb::Snapshot> snapshot;  // or
    std::vector<raftpb::Entry> entries;
  };
  std::deque<Work> queue_;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_

  raftpb::ConfState confState_;  // apply thread only; raft's
  // The configuration the accepted conf changes built, which the checks
  // read (apply thread only).
  raftpb::ConfState membership_;
  std::atomic<uint64_t> appliedIndex_{0};  // written by the apply thread
  // The last answer type reply() saw and its ResponseHeader "header" field,
  // null if it has none (apply thread only).
  struct HeaderField {
    const google::protobuf::Descriptor* type = nullptr;
    const google::protobuf::FieldDescriptor* field = nullptr;
  };
  HeaderField headerOf_;
  // Answers of the batch being applied, in log order (apply thread only).
  using Replies = std::vector<std::pair<ApplyDone, ApplyResult>>;
  Replies replies_;
  // Answered batches' vectors, handed back by the reply pool so the next
  // batches reuse their capacity: growing a fresh one each batch went past
  // 1 KiB, and each such allocation made glibc consolidate its fast bins
  // (4-9% of the server's CPU under 1,000 clients). A few are kept, as the
  // apply loop may flush again before the pool has answered the last batch;
  // when none is back, the new one is reserved at the last batch's size.
  // Shared with the pool's jobs, which may finish after a stop.
  struct SpareReplies {
    std::mutex mu;
    std::vector<Replies> vectors;  // guarded by mu; empty, at most kSpareReplies
  };
  std::size_t lastRepliesSize_ = 0;  // apply thread only
  std::shared_ptr<SpareReplies> spareReplies_ = std::make_shared<SpareReplies>();
  // Events of the open write group, in log order (apply thread only).
  std::vector<std::vector<mvccpb::Event>> unpublished_;
  std::thread thread_;
};

}  // namespace cairn::server
