// proposeAndReply: proposes a request through raft and answers a frontend's
// Done with the applier's typed response (shared by the KV and Lease
// services).
#pragma once

#include "cairn/host.h"
#include "raft_node.h"

namespace cairn::server {

// The waiter that answers `done` with the applier's typed response.
template <typename Response>
ApplyDone replyWith(Done<Response> done) {
  return [done = std::move(done)](ApplyResult&& result) {
    if (!result.status || !result.response) {
      done(result.status.isOk() ? Status(StatusCode::Internal, "etcdserver: no response")
                                : result.status,
           Response());
      return;
    }
    done(Status::ok(), std::move(*static_cast<Response*>(result.response.get())));
  };
}

template <typename Response>
void proposeAndReply(RaftNode& raft, etcdserverpb::InternalRaftRequest req, Done<Response> done) {
  raft.propose(std::move(req), replyWith<Response>(std::move(done)));
}

// The same, with the request in InternalRaftRequest's field `fieldNumber`
// and `req` holding the header (RaftNode::propose's field form: the
// request is not copied into `req`).
template <typename Response>
void proposeAndReply(RaftNode& raft, etcdserverpb::InternalRaftRequest req, int fieldNumber,
                     const google::protobuf::MessageLite& request, Done<Response> done) {
  raft.propose(std::move(req), fieldNumber, request, replyWith<Response>(std::move(done)));
}

}  // namespace cairn::server
