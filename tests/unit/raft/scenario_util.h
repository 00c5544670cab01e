// Helpers shared by the raft scenario tests (scenario_*test.cpp).
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "network.h"

namespace cairn::raft::test {

inline raftpb::ConfChange confChange(raftpb::ConfChangeType t, uint64_t id) {
  raftpb::ConfChange cc;
  cc.set_type(t);
  cc.set_node_id(id);
  return cc;
}

// Ticks every live node until some node leads (bounded).
inline uint64_t tickUntilLeader(Network& net, int maxTicks = 200) {
  for (int i = 0; i < maxTicks; i++) {
    net.tickAll();
    net.stabilize();
    uint64_t l = net.leader();
    if (l != kNone) return l;
  }
  return kNone;
}

inline void requireSameState(Network& net, const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    INFO("node " << id);
    CHECK(net.sim(id).appliedIndex == net.sim(ids[0]).appliedIndex);
    CHECK(net.sim(id).stateHash == net.sim(ids[0]).stateHash);
  }
}

}  // namespace cairn::raft::test
