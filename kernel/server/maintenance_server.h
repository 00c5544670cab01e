// MaintenanceServer: the SDK's Maintenance facet (etcd's Maintenance
// service). Status reports the member's version, backend sizes and raft
// progress; Defragment runs the backend's defragmentation on this server's
// own thread (it may hold writers for long, so never on a caller's, the
// read pool's or the apply loop's thread). Alarm goes through raft as etcd's
// does (AlarmApplier applies it); Hash and HashKV hash this member's own
// store (KvStore::hash, KvStore::hashKv); Snapshot streams etcd's bbolt
// database (SnapshotStream); MoveLeader asks raft for a leadership transfer
// and waits for the transferee to lead.
//
// Threads: any caller. The defragment thread (a one-thread pool) is joined
// by stop().
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <mutex>
#include <string>

#include "cairn/authorizer.h"
#include "cairn/logger.h"
#include "cairn/maintenance.h"
#include "cairn/storage.h"
#include "cluster_server.h"
#include "mvcc/kv_store.h"
#include "raft_node.h"
#include "reads.h"

namespace cairn::server {

// The etcd server version this member reports (the etcd-version kernel/main.cpp
// logs at startup).
inline constexpr const char* kEtcdServerVersion = "3.4.23";

// How long MoveLeader waits for the transferee to lead when the client set
// no deadline.
inline constexpr std::chrono::seconds kMoveLeaderWait{30};

class MaintenanceServer final : public Maintenance {
 public:
  MaintenanceServer(Authorizer* authorizer, const CallGate& gate, const ClusterServer& cluster,
                    storage::Backend& backend, const mvcc::KvStore& store, RaftNode& raft,
                    std::function<uint64_t()> appliedIndex, Reads& reads, Logger& logger,
                    std::string snapDir)
      : authorizer_(authorizer),
        gate_(gate),
        cluster_(cluster),
        backend_(backend),
        store_(store),
        raft_(raft),
        appliedIndex_(std::move(appliedIndex)),
        reads_(reads),
        logger_(logger),
        snapDir_(std::move(snapDir)),
        defragPool_(1),
        leaderPool_(1) {}
  ~MaintenanceServer() override { stop(); }

  void status(const RequestContext& ctx, const etcdserverpb::StatusRequest& req,
              Done<etcdserverpb::StatusResponse> done) override;
  void defragment(const RequestContext& ctx, const etcdserverpb::DefragmentRequest& req,
                  Done<etcdserverpb::DefragmentResponse> done) override;
  void alarm(const RequestContext& ctx, const etcdserverpb::AlarmRequest& req,
             Done<etcdserverpb::AlarmResponse> done) override;
  void hash(const RequestContext& ctx, const etcdserverpb::HashRequest& req,
            Done<etcdserverpb::HashResponse> done) override;
  void hashKv(const RequestContext& ctx, const etcdserverpb::HashKVRequest& req,
              Done<etcdserverpb::HashKVResponse> done) override;
  void moveLeader(const RequestContext& ctx, const etcdserverpb::MoveLeaderRequest& req,
                  Done<etcdserverpb::MoveLeaderResponse> done) override;
  std::unique_ptr<StreamCall> snapshot(const RequestContext& ctx,
                                       std::function<void()> onReady) override;

  // Waits for a running defragmentation; later ones fail with
  // Error::Stopped.
  void stop() {
    {
      std::lock_guard lk(mu_);
      stopped_ = true;
    }
    defragPool_.join();
    leaderPool_.join();
  }

 private:
  // The call gate (learner, require-leader), then the authorizer.
  Status admit(const RequestContext& ctx, const google::protobuf::Message& req) const;
  template <typename Req, typename Resp>
  void answerLocally(const RequestContext& ctx, const Req& req, Done<Resp> done,
                     std::function<Status(Resp*)> fill);

  Authorizer* const authorizer_;  // null: auth disabled
  const CallGate& gate_;
  const ClusterServer& cluster_;
  storage::Backend& backend_;   // thread-safe
  const mvcc::KvStore& store_;  // thread-safe (hash, hashKv)
  RaftNode& raft_;              // proposals (Alarm) and raft status
  const std::function<uint64_t()> appliedIndex_;
  Reads& reads_;
  Logger& logger_;
  const std::string snapDir_;  // where Snapshot writes its scratch file
  std::mutex mu_;              // orders posting a defragmentation against stop()
  bool stopped_ = false;       // guarded by mu_
  boost::asio::thread_pool defragPool_;
  // MoveLeader waits here for the transferee to lead (joined by stop()).
  boost::asio::thread_pool leaderPool_;
};

}  // namespace cairn::server
