// The checks etcd's RaftCluster.ValidateConfigurationChange makes when a
// membership change is applied, against the configuration raft holds at that
// entry and the member records: every member applies the same entries in the
// same order and refuses the same changes. A refused change leaves raft's
// configuration as it was and answers its proposer with etcd's error.
//
// A promotion is an ADD_NODE whose context is empty (an added member always
// carries its description, the bootstrap ones too).
#pragma once

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "member_registry.h"

namespace cairn::server {

// etcd allows one learner at a time (membership.maxLearners).
inline constexpr int kMaxLearners = 1;

inline bool isPromotion(const raftpb::ConfChange& cc) {
  return cc.type() == raftpb::CONF_CHANGE_ADD_NODE && cc.context().empty();
}

// `conf` after the accepted change `cc`.
void applyToConf(const raftpb::ConfChange& cc, raftpb::ConfState* conf);

// Ok, or etcd's error for `cc` given the configuration `conf` that the
// accepted changes before it built (not raft's: a new member's raft holds
// every bootstrap voter before their entries are applied).
Status checkConfChange(const raftpb::ConfChange& cc, const raftpb::ConfState& conf,
                       const MemberRegistry& members);

}  // namespace cairn::server
