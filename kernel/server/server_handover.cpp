// Server's part of a graceful stop's leadership handover (etcd's
// TransferLeadership): wiring handOverLeadership to this member's raft node,
// members and transport.
#include "cluster_server.h"
#include "leadership_handover.h"
#include "raft_node.h"
#include "server.h"

namespace cairn::server {

Status Server::handOverLeadership() {
  HandoverParts parts;
  parts.self = memberId_;
  parts.leader = [this] { return raft_->leader(); };
  for (const MemberInfo& m : cluster_->members()) {
    if (!m.isLearner) parts.voters.push_back(m.id);
  }
  parts.connectedSince = [this](uint64_t id) { return transport_->activeSince(id); };
  parts.transfer = [this](uint64_t id) { raft_->transferLeadership(id); };
  // etcd polls every tick, for at most its request timeout.
  parts.pollEvery = std::chrono::milliseconds(options_.heartbeatIntervalMs);
  parts.timeout = requestTimeout();
  return cairn::server::handOverLeadership(parts, logger_);
}

}  // namespace cairn::server
