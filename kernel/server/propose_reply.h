// proposeAndReply: proposes a request through raft and answers a frontend's
// Done with the applier's typed response (shared by the KV and Lease
// services).
#pragma once

#include "cairn/host.h"
#include "raft_node.h"

namespace cairn::server {

template <typename Response>
void proposeAndReply(RaftNode& raft, etcdserverpb::InternalRaftRequest req, Done<Response> done) {
  raft.propose(std::move(req), [done = std::move(done)](ApplyResult&& result) {
    if (!result.status || !result.response) {
      done(result.status.isOk() ? Status(StatusCode::Internal, "etcdserver: no response")
                                : result.status,
           Response());
      return;
    }
    done(Status::ok(), std::move(*static_cast<Response*>(result.response.get())));
  });
}

}  // namespace cairn::server
