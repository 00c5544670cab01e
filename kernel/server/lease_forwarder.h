// LeaseForwarder: LeaseKeepAlive and LeaseTimeToLive asked on a follower are
// answered by the leader, whose lessor alone knows expiry times (etcd's
// leasehttp forwarding, over Cairn's peer transport instead of HTTP).
//
// A forwarded request travels as a raftpb::Message whose type lies outside
// raft's range (the raft node hands those here, never to raft), on the
// peer transport's priority lane:
//   request:  type kRenewRequest / kTtlRequest, commit = request id,
//             index = lease id, reject = TimeToLive's `keys`
//   answer:   type kRenewAnswer / kTtlAnswer, commit = request id,
//             reject_hint = outcome (ok, lease not found, not leader, other
//             error with its text in context), log_term = the renewed TTL,
//             context = a TimeToLive answer's serialized response.
// As etcd's follower does, a request waiting for a leader (none known, or
// the addressee is no longer leader) is retried every 50 ms, an unanswered
// one after a second, and the caller gets "etcdserver: request timed out"
// after the request timeout.
//
// Threads: any caller; answers run on the "cairn-lease-fwd" thread (time
// outs, retries) or the transport's thread (answers); pending_ under mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cluster_server.h"
#include "etcdserverpb/rpc.pb.h"
#include "lease/lessor.h"
#include "lease_driver.h"
#include "raft_node.h"

namespace cairn::server {

class LeaseForwarder {
 public:
  using RenewDone = std::function<void(const Status&, int64_t ttl)>;
  using TtlDone = std::function<void(const Status&, etcdserverpb::LeaseTimeToLiveResponse&&)>;

  LeaseForwarder(RaftNode& raft, LeaseDriver& driver, lease::Lessor& lessor,
                 const ClusterServer& cluster);
  ~LeaseForwarder() { stop(); }
  LeaseForwarder(const LeaseForwarder&) = delete;
  LeaseForwarder& operator=(const LeaseForwarder&) = delete;

  void start();
  // Pending requests fail with Error::Stopped.
  void stop();

  // Follower: asks the leader.
  void renew(int64_t id, RenewDone done);
  void timeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req, TtlDone done);

  // A peer's message of this protocol (true), or not one (false, untouched).
  bool onPeerMessage(raftpb::Message& m);

  // Answers the leader computes for TimeToLive (also the local path).
  static etcdserverpb::LeaseTimeToLiveResponse timeToLiveAnswer(
      lease::Lessor& lessor, const etcdserverpb::LeaseTimeToLiveRequest& req, Status* status);

 private:
  struct Pending {
    bool ttl = false;
    int64_t lease = 0;
    bool keys = false;
    RenewDone renewDone;
    TtlDone ttlDone;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point retryAt;
  };

  void trySend(uint64_t requestId, Pending& p, std::chrono::steady_clock::time_point now);
  void answerRequest(const raftpb::Message& m);
  void takeAnswer(const raftpb::Message& m);
  void reply(uint64_t to, raftpb::Message&& answer);
  void loop();

  RaftNode& raft_;
  LeaseDriver& driver_;
  lease::Lessor& lessor_;
  const ClusterServer& cluster_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Pending> pending_;  // guarded by mu_
  uint64_t nextId_ = 1;                  // guarded by mu_
  bool stop_ = false;                    // guarded by mu_
  std::thread thread_;
};

}  // namespace cairn::server
