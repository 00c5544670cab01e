// Server: one Cairn member. It owns the raft node, the WAL, the backend and
// the MVCC store, and runs the two kernel threads of the write path:
//
//   raft loop  : ticks, proposals, ReadIndex requests, Ready handling, WAL
//                group commit (one fsync per Ready), hands committed entries
//                to the apply loop. Sole owner of node_ and wal_ appends.
//   apply loop : applies committed entries in log order to the MVCC store
//                (consistent_index stored in the same backend batch),
//                completes waiters, releases reads, takes snapshots.
//
// Reads run on a small pool (readPool_), never on either loop, so a slow
// range never delays a write.
//
// Leases and watches: the lessor's applied state changes on the apply loop
// (grant/revoke/checkpoint entries, key attach/detach after every write),
// the LeaseDriver thread ("cairn-lease") proposes expiries and checkpoints
// while this member leads, and the watch thread ("cairn-watch") catches
// lagging watchers up from history. Every applied write's events go to the
// watch hub from the apply loop, before the client is answered.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/raft_internal.pb.h"
#include "kv_applier.h"
#include "lease/lessor.h"
#include "mvcc/kv_store.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"
#include "read_gate.h"
#include "server_options.h"
#include "wait_registry.h"
#include "wal/snapshotter.h"
#include "wal/wal.h"
#include "watch/watch_hub.h"

namespace cairn::server {

class LeaseDriver;

class Server {
 public:
  Server(ServerOptions options, std::unique_ptr<storage::Backend> backend, Logger& logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Recovers from (or bootstraps) the data dir, starts the loops and returns
  // once this member leads and has applied everything committed before.
  Status start();
  // Stops the loops; pending requests fail with "etcdserver: server stopped".
  void stop();

  // --- used by the KV frontend (any thread) ---
  // Proposes `req` (its header.ID is assigned here); `done` runs on the apply
  // loop with the applier's result.
  void propose(etcdserverpb::InternalRaftRequest req, ApplyDone done);
  // Runs `read` on the read pool once a ReadIndex round confirmed leadership
  // and the apply loop caught up; or with an error.
  void readLinearizable(ReadGate::Read read);
  // Runs `read` on the read pool against the local state.
  void readSerializable(ReadGate::Read read);
  etcdserverpb::ResponseHeader header(int64_t revision) const;
  // The header etcd's frontends fill: the store's current revision.
  etcdserverpb::ResponseHeader currentHeader() const { return header(store_->currentRevision()); }
  // A fresh id from the member's request id generator (etcd's reqIDGen),
  // e.g. for a lease the client did not name.
  uint64_t nextId() { return nextRequestId_.fetch_add(1); }
  bool isLeader() const { return lead_.load() == memberId_; }
  // When a request started now times out (etcd's ReqTimeout).
  std::chrono::steady_clock::time_point requestDeadline() const;

  KvApplier& applier() { return *applier_; }
  lease::Lessor& lessor() { return *lessor_; }
  watch::WatchHub& watchHub() { return *watchHub_; }
  LeaseDriver& leaseDriver() { return *leaseDriver_; }
  const ServerOptions& options() const { return options_; }
  uint64_t memberId() const { return memberId_; }
  uint64_t clusterId() const { return clusterId_; }
  uint64_t appliedIndex() const { return appliedIndex_.load(); }

 private:
  struct ConfChangeRequest {
    raftpb::ConfChange cc;
    std::promise<raftpb::ConfState> result;
  };

  Status openStorage();
  Status bootstrapNew();
  Status recoverExisting();
  Status validateInitialCluster() const;
  raft::Config raftConfig();
  void raftLoop();
  void handleReady();
  void applyLoop();
  void applyEntry(const raftpb::Entry& entry);
  void applyNormal(const raftpb::Entry& entry);
  void applyConfChange(const raftpb::Entry& entry);
  // Runs one client request of a committed entry through the applier.
  ApplyResult applyRequest(const etcdserverpb::InternalRaftRequest& req, uint64_t index);
  Status applyLeaseGrant(const etcdserverpb::LeaseGrantRequest& req, uint64_t index,
                         etcdserverpb::LeaseGrantResponse* resp);
  Status applyLeaseRevoke(const etcdserverpb::LeaseRevokeRequest& req, uint64_t index,
                          etcdserverpb::LeaseRevokeResponse* resp,
                          std::vector<mvccpb::Event>* events);
  Status applyLeaseCheckpoint(const etcdserverpb::LeaseCheckpointRequest& req, uint64_t index,
                              etcdserverpb::LeaseCheckpointResponse* resp);
  // After a committed write: moves lease attachments as its events say and
  // hands the events to the watch hub.
  void publishEvents(const std::vector<mvccpb::Event>& events);
  // Rebuilds the lessor from the backend: lease records, then every live
  // key's attachment.
  Status recoverLeases();
  void watchLoop();
  void maybeSnapshot();
  void compactLoop();
  void dispatchReads(std::vector<ReadGate::Read>&& reads);

  const ServerOptions options_;
  Logger& logger_;
  std::string memberDir_, walDir_, snapDir_;

  // Set in start(), constant afterwards.
  uint64_t memberId_ = 0;
  uint64_t clusterId_ = 0;
  std::unique_ptr<storage::Backend> backend_;
  std::unique_ptr<mvcc::KvStore> store_;
  std::unique_ptr<KvApplier> applier_;
  std::unique_ptr<lease::Lessor> lessor_;      // internally synchronised
  std::unique_ptr<watch::WatchHub> watchHub_;  // internally synchronised
  std::unique_ptr<LeaseDriver> leaseDriver_;
  raft::MemoryStorage raftStorage_;  // internally synchronised
  std::unique_ptr<wal::Snapshotter> snapshotter_;

  // Owned by the raft loop after start().
  std::unique_ptr<raft::RawNode> node_;
  std::mutex walMu_;  // serialises WAL appends (raft loop) and snapshot marks (apply loop)
  std::unique_ptr<wal::Wal> wal_;  // guarded by walMu_
  uint64_t readSeq_ = 0;
  std::map<std::string,
           std::pair<std::vector<ReadGate::Read>, std::chrono::steady_clock::time_point>>
      inflightReads_;  // raft loop only

  // Queues into the raft loop, guarded by raftMu_.
  std::mutex raftMu_;
  std::condition_variable raftCv_;
  std::vector<std::pair<uint64_t, std::string>> pendingProposals_;  // (request id, data)
  std::vector<ReadGate::Read> pendingReads_;
  std::vector<std::shared_ptr<ConfChangeRequest>> pendingConfChanges_;
  bool raftStop_ = false;

  // Committed entries from the raft loop to the apply loop, guarded by applyMu_.
  std::mutex applyMu_;
  std::condition_variable applyCv_;
  std::deque<std::vector<raftpb::Entry>> applyQueue_;
  bool applyStop_ = false;

  // Apply loop only.
  raftpb::ConfState confState_;
  uint64_t snapshotIndex_ = 0;

  // Written by one loop, read anywhere.
  std::atomic<uint64_t> appliedIndex_{0};  // apply loop
  std::atomic<uint64_t> term_{0};          // raft loop
  std::atomic<uint64_t> lead_{0};          // raft loop
  std::atomic<uint64_t> nextRequestId_{0};
  std::atomic<bool> stopped_{false};

  // Startup handshake: start() waits until the member leads and has applied
  // everything up to readyIndex_.
  std::mutex readyMu_;
  std::condition_variable readyCv_;
  uint64_t readyIndex_ = 0;  // guarded by readyMu_; 0 until known
  bool ready_ = false;       // guarded by readyMu_

  WaitRegistry waiters_;
  std::unique_ptr<ReadGate> readGate_;
  std::unique_ptr<boost::asio::thread_pool> readPool_;
  // Completes proposals: answering a client runs the frontend's send path
  // (for gRPC, socket writes), which must not occupy the apply loop.
  std::unique_ptr<boost::asio::thread_pool> replyPool_;
  std::thread raftThread_;
  std::thread watchThread_;
  std::mutex watchMu_;
  std::condition_variable watchCv_;
  bool watchStop_ = false;  // guarded by watchMu_
  std::thread applyThread_;

  // Physical compaction (deleting superseded revisions) runs on its own
  // thread in batches, as etcd's does, so a large compaction never stalls
  // the apply loop. Replies to `physical: true` compactions wait for it.
  std::thread compactThread_;
  std::mutex compactMu_;
  std::condition_variable compactCv_;
  bool compactStop_ = false;                                      // guarded by compactMu_
  std::vector<std::pair<ApplyDone, ApplyResult>> physicalWaits_;  // guarded by compactMu_
};

}  // namespace cairn::server
