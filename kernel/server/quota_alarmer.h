// QuotaAlarmer: raises the NOSPACE alarm through raft when a request does
// not fit the backend quota, as etcd does in two places:
//
// - before proposing (etcd's v3rpc quotaAlarmer): Put, Txn and LeaseGrant
//   that would pass the quota are refused with "etcdserver: mvcc: database
//   space exceeded" once the alarm is raised;
// - after applying (etcd's applyEntryNormal): an entry that answered
//   NoSpace raises the alarm, if none is active, before its proposer gets
//   the answer.
//
// The alarm carries this member's id. While a NOSPACE alarm is already
// active nothing more is proposed (etcd proposes it again each time; the
// alarm store keeps one per member either way).
//
// Threads: any.
#pragma once

#include <functional>

#include "alarm_store.h"
#include "backend_quota.h"
#include "cairn/logger.h"
#include "raft_node.h"

namespace cairn::server {

class QuotaAlarmer {
 public:
  QuotaAlarmer(const BackendQuota& quota, const AlarmStore& alarms, RaftNode& raft,
               uint64_t memberId, int64_t configuredBytes, Logger& logger)
      : quota_(quota),
        alarms_(alarms),
        raft_(raft),
        memberId_(memberId),
        configuredBytes_(configuredBytes),
        logger_(logger) {}

  // Before proposing a request: whether it fits the quota.
  bool fits(const google::protobuf::Message& request) const { return quota_.available(request); }
  // For a request that did not fit: raises the alarm (unless one is
  // active) and then calls `refused` with Error::NoSpace, whatever became
  // of the alarm's proposal.
  void refuse(std::function<void(Status)> refused);
  // After an entry answered NoSpace: raises the alarm and calls `answer`
  // once it is applied; false (and `answer` is not kept) when a NOSPACE
  // alarm is active already.
  bool raiseAfterApply(std::function<void()>& answer);

 private:
  void raise(std::function<void()> then);

  const BackendQuota& quota_;
  const AlarmStore& alarms_;
  RaftNode& raft_;
  const uint64_t memberId_;
  const int64_t configuredBytes_;  // as given, for the log line
  Logger& logger_;
};

}  // namespace cairn::server
