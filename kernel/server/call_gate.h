// CallGate: the checks etcd's gRPC interceptors make before any client call
// reaches a service, made here once for every frontend (api-grpc, and
// api-http's gateway, whose calls pass etcd's interceptors too because its
// gateway dials the member's own gRPC port) and every service (the kernel's
// facets and the services plugins register):
//   - a learner answers only Maintenance.Status and serializable Range; any
//     other call, and every stream, gets "etcdserver: rpc not supported for
//     learner" (etcd's isRPCSupportedForLearner);
//   - a client that asked for a leader (gRPC metadata hasleader=true, as
//     clientv3.WithRequireLeader sends it) gets "etcdserver: no leader" while
//     the member knows of none.
// Calls the kernel or a plugin makes on its own account (trusted) pass.
//
// Threads: any; reads atomics of the raft node and the cluster facet.
#pragma once

#include <functional>

#include "cairn/request_context.h"
#include "cairn/status.h"

namespace cairn::server {

class CallGate {
 public:
  struct Probes {
    std::function<uint64_t()> leader;     // 0: no leader known
    std::function<bool()> selfIsLearner;  // this member is a learner
    // No leader for etcd's three checks in a row (LeaderMonitor::leaderLost)
    std::function<bool()> leaderLost;
  };
  explicit CallGate(Probes probes) : probes_(std::move(probes)) {}

  // For a call a learner may not serve.
  Status admit(const RequestContext& ctx) const { return check(ctx, false); }
  // For the calls a learner serves (Status, serializable Range).
  Status admitOnLearner(const RequestContext& ctx) const { return check(ctx, true); }
  // For each message of a LeaseKeepAlive stream, which the SDK hands over
  // one by one. A brief election does not refuse it (etcd checks for a
  // leader when such a stream opens, and clientv3 opens every keep-alive
  // stream with WithRequireLeader; refusing each message during an election
  // would end streams etcd keeps). Once the member has had no leader for
  // etcd's three checks, a stream that asked for a leader ends with "no
  // leader", as etcd's monitorLeader ends it; here at its next message.
  Status admitStreamMessage(const RequestContext& ctx) const;

 private:
  Status check(const RequestContext& ctx, bool learnerServes, bool leaderChecked = true) const;

  const Probes probes_;
};

}  // namespace cairn::server
