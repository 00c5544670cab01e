// RaftNode: this member's raft state machine and its durable log.
//
// Owner: the raft loop thread ("cairn-raft", loop()). It alone calls the
// RawNode: every tick (one per --heartbeat-interval), queued proposals,
// ReadIndex rounds (one round confirms every linearizable read queued since
// the last one), conf changes asked for by the apply loop and messages the
// transport delivered. Each Ready is handled in order: WAL save of hard state
// and entries with ONE fsync (group commit), then raft's in-memory storage,
// then the messages go to the transport, committed entries to the apply
// loop (Hooks::committed) and confirmed reads to the read gate.
//
// Other threads talk to it only through the queues guarded by mu_ and the
// atomics below; the WAL and the snapshot files are guarded by walMu_
// because the apply loop marks its snapshots in the WAL.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "etcdserverpb/raft_internal.pb.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"
#include "read_gate.h"
#include "server_options.h"
#include "startup_gate.h"
#include "transport/transport.h"
#include "wait_registry.h"
#include "wal/snapshotter.h"
#include "wal/wal.h"

namespace cairn::server {

class RaftNode {
 public:
  // Called on the raft loop; must not block.
  struct Hooks {
    // The known leader changed (0: none); `term` is raft's current term.
    std::function<void(uint64_t previous, uint64_t leader, uint64_t term)> leaderChanged;
    // Committed entries, in log order, for the apply loop.
    std::function<void(std::vector<raftpb::Entry>&& entries)> committed;
    // A snapshot from the leader, saved and marked in the WAL, for the
    // apply loop before the entries after it (optional).
    std::function<void(const raftpb::Snapshot& snap)> snapshot;
    // Reads a ReadIndex round confirmed at `index`.
    std::function<void(uint64_t index, std::vector<ReadGate::Read>&& reads)> readsConfirmed;
    // A peer's message that is not raft's (the lease forwarding protocol):
    // true when taken. Runs on the transport's thread (optional).
    std::function<bool(raftpb::Message& message)> peerMessage;
    // A peer said this member was removed from the cluster: it missed its
    // own removal while cut off (optional; transport thread, may repeat).
    std::function<void()> removedByPeers;
    // A WAL save that fsynced took `elapsed` (optional).
    std::function<void(std::chrono::nanoseconds elapsed)> walSynced;
  };

  RaftNode(const ServerOptions& options, Logger& logger, uint64_t memberId,
           std::unique_ptr<raft::RawNode> node, raft::MemoryStorage& storage,
           std::unique_ptr<wal::Wal> wal, std::unique_ptr<wal::Snapshotter> snapshotter,
           WaitRegistry& waiters, StartupGate& startup, transport::Transport& transport,
           Hooks hooks, bool singleMember);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // Starts the transport and the raft loop.
  Status start();
  // Joins the raft loop and stops the transport. Queued and in-flight reads
  // fail with Error::Stopped; proposals are left to the WaitRegistry (the
  // server fails every waiter once the apply loop stopped).
  void stop();
  // Closes the WAL (after stop(), once nothing marks snapshots any more).
  void closeWal();

  // --- any thread ---
  // Proposes `req` (its header.ID is assigned here; the rest of the header
  // is the caller's). `done` runs once: on the apply loop's reply path with
  // the applier's result, or at once with Error::Stopped /
  // Error::RequestTooLarge, or later with Error::Timeout / Error::NoLeader.
  void propose(etcdserverpb::InternalRaftRequest req, ApplyDone done);
  // The same for `req` with `request` in its (unset) field `fieldNumber`,
  // without copying `request` into it (serializeWithField: the same bytes).
  void propose(etcdserverpb::InternalRaftRequest req, int fieldNumber,
               const google::protobuf::MessageLite& request, ApplyDone done);
  // Proposes a membership change; cc.id is assigned here and keys the
  // waiter, which the apply loop completes when the change is applied (or
  // refused). `done` as for propose().
  void proposeConfChange(raftpb::ConfChange cc, ApplyDone done);
  // Asks raft to hand leadership to `transferee` (MoveLeader); raft ignores
  // it unless this member leads. Any thread.
  void transferLeadership(uint64_t transferee);
  // On the leader, each member's match index as of the last tick (this
  // member's included); empty on a follower.
  std::map<uint64_t, uint64_t> leaderMatches() const;
  // etcd's transport ActiveSince for peer `id`.
  std::chrono::steady_clock::time_point peerActiveSince(uint64_t id) const {
    return transport_.activeSince(id);
  }
  // Queues `read` for the next ReadIndex round; it is handed to
  // Hooks::readsConfirmed, or fails with Error::Stopped / Error::Timeout.
  void readIndex(ReadGate::Read read);
  // A fresh id from the member's request id generator (etcd's reqIDGen).
  uint64_t nextId() { return nextRequestId_.fetch_add(1); }
  // The transport's delivery: steps `message` on the next loop turn.
  void step(raftpb::Message&& message);
  // Sends a message that is not raft's to peer `message.to()` (from this
  // member), on the transport; any thread.
  void sendPeerMessage(raftpb::Message&& message);
  // The transport's feedback, reported to raft on the next loop turn.
  void reportUnreachable(uint64_t peer);
  void reportSnapshot(uint64_t peer, bool failed);
  uint64_t memberId() const { return memberId_; }
  uint64_t leader() const { return lead_.load(); }
  bool isLeader() const { return lead_.load() == memberId_; }
  uint64_t term() const { return term_.load(); }
  uint64_t committedIndex() const { return committed_.load(); }
  // When a request started now times out (etcd's ReqTimeout).
  std::chrono::steady_clock::time_point requestDeadline() const;

  // --- apply loop ---
  // Applies a committed conf change on the raft loop and returns the new
  // configuration; nullopt if the loop stopped first.
  std::optional<raftpb::ConfState> applyConfChange(const raftpb::ConfChange& cc);
  // Writes `snap` as a snapshot file, marks it in the WAL and releases the
  // WAL segments it covers. The snapshot file's error is returned; a WAL
  // that cannot be marked is fatal.
  Status saveSnapshot(const raftpb::Snapshot& snap);
  // Keeps the newest `keep` snapshot files.
  Status purgeSnapshots(uint32_t keep);

 private:
  struct ConfChangeRequest {
    raftpb::ConfChange cc;
    std::promise<raftpb::ConfState> result;
  };

  void loop();
  void handleReady();
  // propose()'s second half: the size check, the waiter and the queue.
  void queueProposal(uint64_t id, std::string&& data, ApplyDone done);

  const ServerOptions& options_;
  Logger& logger_;
  const uint64_t memberId_;
  raft::MemoryStorage& storage_;  // internally synchronised
  WaitRegistry& waiters_;         // internally synchronised
  StartupGate& startup_;          // internally synchronised
  transport::Transport& transport_;
  const Hooks hooks_;
  // The only member there is: it campaigns at once instead of after an
  // election timeout. Never for a cluster member: while a restarted member
  // re-applies its conf changes its configuration may briefly hold only
  // itself, and campaigning then would elect a second leader.
  const bool singleMember_;

  // Raft loop only (constructed on the main thread before the loop starts).
  std::unique_ptr<raft::RawNode> node_;
  uint64_t readSeq_ = 0;
  std::map<std::string,
           std::pair<std::vector<ReadGate::Read>, std::chrono::steady_clock::time_point>>
      inflightReads_;

  // Raft loop (appends, incoming snapshots) vs apply loop (snapshot marks).
  std::mutex walMu_;
  std::unique_ptr<wal::Wal> wal_;                  // guarded by walMu_
  std::unique_ptr<wal::Snapshotter> snapshotter_;  // guarded by walMu_

  // Queues into the raft loop.
  std::mutex mu_;
  std::condition_variable cv_;
  using Proposals = std::vector<std::pair<uint64_t, std::string>>;  // (id, data)
  Proposals pendingProposals_;                                      // guarded by mu_
  // The last turn's proposals vector, emptied, swapped in for
  // pendingProposals_ so the next turn's queue reuses its capacity: a fresh
  // vector grew past 1 KiB under load, and each such allocation made glibc
  // consolidate its fast bins. Raft thread only.
  Proposals spareProposals_;
  std::vector<raftpb::ConfChange> pendingConfProposals_;                // guarded by mu_
  std::vector<ReadGate::Read> pendingReads_;                            // guarded by mu_
  std::vector<std::shared_ptr<ConfChangeRequest>> pendingConfChanges_;  // guarded by mu_
  std::vector<raftpb::Message> pendingMessages_;                        // guarded by mu_
  // Transport feedback: (peer, kind) with kind 0 unreachable, 1 snapshot
  // sent, 2 snapshot failed.
  std::vector<std::pair<uint64_t, int>> pendingReports_;  // guarded by mu_
  std::vector<uint64_t> pendingTransfers_;                // guarded by mu_
  bool stop_ = false;                                     // guarded by mu_

  // Written by the raft loop every turn, read anywhere.
  mutable std::mutex matchMu_;
  std::map<uint64_t, uint64_t> leaderMatches_;  // guarded by matchMu_

  // Written by the raft loop, read anywhere.
  std::atomic<uint64_t> lead_{0};
  std::atomic<uint64_t> term_{0};
  std::atomic<uint64_t> committed_{0};
  // Any thread (fetch_add).
  std::atomic<uint64_t> nextRequestId_{0};

  std::thread thread_;
};

}  // namespace cairn::server
