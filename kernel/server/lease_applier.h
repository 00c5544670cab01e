// LeaseApplier: the replicated half of leases (etcd's lessor Grant/Revoke/
// Checkpoint as applied entries), beside LeaseDriver, the time-driven half.
//
// Each applied lease request is one mvcc write transaction: the lease record
// goes into its batch, and a revoke deletes every attached key in the same
// transaction (one revision, one backend commit, DELETE events to
// watchers). Key attachment follows the events of every committed write.
// On start the lessor is rebuilt from the backend.
//
// Owner: the apply loop (grant, revoke, checkpoint, followEvents, promote);
// recover() runs on the starting thread before the apply loop; demote() on
// the raft loop. The lessor is internally synchronised.
#pragma once

#include <chrono>
#include <vector>

#include "cairn/logger.h"
#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/rpc.pb.h"
#include "lease/lessor.h"
#include "mvcc/kv_store.h"
#include "mvccpb/kv.pb.h"

namespace cairn::server {

class LeaseApplier {
 public:
  LeaseApplier(mvcc::KvStore& store, lease::Lessor& lessor, Logger& logger)
      : store_(store), lessor_(lessor), logger_(logger) {}

  Status grant(const etcdserverpb::LeaseGrantRequest& req, uint64_t index,
               etcdserverpb::LeaseGrantResponse* resp);
  Status revoke(const etcdserverpb::LeaseRevokeRequest& req, uint64_t index,
                etcdserverpb::LeaseRevokeResponse* resp, std::vector<mvccpb::Event>* events);
  Status checkpoint(const etcdserverpb::LeaseCheckpointRequest& req, uint64_t index,
                    etcdserverpb::LeaseCheckpointResponse* resp);
  // After a committed write: a PUT attaches its key to its lease (detaching
  // it from a previous one), a DELETE detaches it.
  void followEvents(const std::vector<mvccpb::Event>& events);
  // As etcd: a new leader's lessor becomes primary once everything of
  // earlier terms is applied, extending every lease by `extend` so none
  // expires because the cluster had no leader.
  void promote(std::chrono::nanoseconds extend) { lessor_.promote(extend); }
  // Only the leader expires leases; a deposed one stops at once.
  void demote() { lessor_.demote(); }

  // The lessor the auth check asks which keys a lease holds.
  const lease::Lessor& lessor() const { return lessor_; }

  // Rebuilds the lessor from the backend: lease records, then every live
  // key's attachment.
  Status recover(storage::Backend& backend);

 private:
  mvcc::KvStore& store_;
  lease::Lessor& lessor_;
  Logger& logger_;
};

}  // namespace cairn::server
