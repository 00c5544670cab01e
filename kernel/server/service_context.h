// ServiceContext: what the kernel's request services (KvServer,
// LeaseServer, WatchServer) share. Set up by Server::start() before any
// service is used; every part is thread-safe as documented at its class.
#pragma once

#include "cairn/authorizer.h"
#include "call_gate.h"
#include "cluster_server.h"
#include "kv_applier.h"
#include "leader_monitor.h"
#include "lease/lessor.h"
#include "lease_driver.h"
#include "lease_forwarder.h"
#include "mvcc/kv_store.h"
#include "quota_alarmer.h"
#include "raft_node.h"
#include "reads.h"
#include "server_options.h"
#include "watch/watch_hub.h"

namespace cairn::server {

struct ServiceContext {
  const ServerOptions& options;
  Authorizer* authorizer;  // null: auth disabled (the hot path)
  RaftNode& raft;          // proposals, request ids
  Reads& reads;
  const ClusterServer& cluster;  // response headers
  KvApplier& applier;            // range and read-only txn on any thread
  lease::Lessor& lessor;
  LeaseDriver& leaseDriver;
  watch::WatchHub& watchHub;
  // A follower's way to the leader's lessor (null in tests without one).
  LeaseForwarder* leaseForwarder;
  // The backend quota, checked before Put, Txn and LeaseGrant are proposed.
  QuotaAlarmer& quota;
  // etcd's interceptor checks (learner, require-leader), first in every call.
  const CallGate& gate;
  // Ends require-leader streams without a leader (null: none ended).
  LeaderMonitor* leaderMonitor;
};

}  // namespace cairn::server
