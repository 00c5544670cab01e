// Publishing a member's attributes through raft, in etcd 3.4's own entry
// format: a v2 PUT of "/0/members/<id hex>/attributes" whose value is the
// JSON {"name":...,"clientURLs":[...]}. Every member proposes its own when
// it starts; once its publish is applied locally the member has caught up
// with the cluster and serves clients (etcd's ReadyNotify).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/raft_internal.pb.h"
#include "member_registry.h"

namespace cairn::server {

etcdserverpb::InternalRaftRequest publishRequest(uint64_t memberId, const std::string& name,
                                                 const std::vector<std::string>& clientUrls);

// Applies a committed v2 request: a member's attributes update the
// registry (in `batch`); any other v2 request is Unimplemented.
Status applyV2Request(const etcdserverpb::Request& req, MemberRegistry& members,
                      storage::WriteBatch* batch);

}  // namespace cairn::server
