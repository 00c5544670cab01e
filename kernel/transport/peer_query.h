// askPeer: one question to a member on its peer port, outside raft: dial
// (TLS for an https:// URL), send a hello and the question's frames, read
// the hello reply and, when accepted, one answer frame; then the connection
// ends. The cluster query of a joining member (cluster_query.h) and the
// corruption checks' HashKV request (hashkv_query.h) are such questions.
// Blocking: it runs its own io_context on the caller's thread.
#pragma once

#include <chrono>
#include <string>

#include "cairn/raftpb.pb.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "hello.h"
#include "peer_tls.h"

namespace cairn::transport {

struct PeerAnswer {
  HelloReply reply;        // always set when the peer answered the hello
  raftpb::Message answer;  // set when reply.status is Accepted
};

// `out`: the hello, then any frames, written at once (the answering member
// reads the frames after its hello reply, so nothing waits a round trip).
// Ok once the hello reply arrived and, if it accepted, the answer frame
// too; Unavailable with the cause (url first) for anything else within
// `timeout`.
Status askPeer(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
               const std::string& out, std::size_t maxAnswerBytes, PeerAnswer* result);

}  // namespace cairn::transport
