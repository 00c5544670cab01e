// The ServiceDefs the concurrency plugin registers: etcd's v3lockpb.Lock and
// v3electionpb.Election. Every handler only creates a call and launches it on
// the core's loop; it never blocks a frontend thread.
#pragma once

#include <memory>

#include "cairn/service.h"
#include "core.h"

namespace cairn::concurrency {

inline constexpr const char* kLockServiceName = "v3lockpb.Lock";
inline constexpr const char* kElectionServiceName = "v3electionpb.Election";

ServiceDef lockService(std::shared_ptr<Core> core);
ServiceDef electionService(std::shared_ptr<Core> core);

}  // namespace cairn::concurrency
