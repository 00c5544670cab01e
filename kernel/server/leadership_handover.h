// Leadership handover when a member stops: a leader that stops gracefully
// first hands leadership to the voter it has been connected to the longest
// (etcd's TransferLeadership with longestConnected), so the cluster does
// not sit through an election timeout without a leader. A follower, a
// single voter or a leader connected to no voter stops at once, with etcd's
// log lines.
//
// Threads: the lifecycle thread, before the member's loops stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "cairn/logger.h"
#include "cairn/status.h"

namespace cairn::server {

struct HandoverParts {
  uint64_t self = 0;
  std::function<uint64_t()> leader;  // 0: none known
  std::vector<uint64_t> voters;      // this member included
  // Since when this member has been connected to a voter; the default time
  // point when it is not.
  std::function<std::chrono::steady_clock::time_point(uint64_t)> connectedSince;
  std::function<void(uint64_t)> transfer;    // asks raft to transfer leadership
  std::chrono::milliseconds pollEvery{100};  // etcd polls every tick
  std::chrono::milliseconds timeout{7000};   // etcd's ReqTimeout
};

// Logs and returns what etcd's TransferLeadership returns: ok when there was
// nothing to hand over or the transferee leads; "etcdserver: unhealthy
// cluster" with no connected voter; "etcdserver: leadership transfer took
// too long" after `timeout`.
Status handOverLeadership(const HandoverParts& parts, Logger& logger);

}  // namespace cairn::server
