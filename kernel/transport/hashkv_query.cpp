#include "hashkv_query.h"

#include "cairn/errors.h"
#include "frame_codec.h"
#include "peer_query.h"

namespace cairn::transport {

Status queryHashKv(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                   uint64_t clusterId, int64_t revision, HashKvAnswer* out) {
  std::string question = encodeHello(Hello{clusterId, 0, 0, Lane::Priority});
  raftpb::Message request;
  request.set_type(static_cast<raftpb::MessageType>(kHashKvRequest));
  request.set_index(static_cast<uint64_t>(revision));
  appendFrame(request, &question);
  PeerAnswer got;
  if (Status st = askPeer(url, tls, timeout, question, 1u << 20, &got); !st) return st;
  if (got.reply.status == HelloStatus::ClusterMismatch) {
    return Status(StatusCode::Unavailable, url.raw + ": cluster ID mismatch");
  }
  if (got.reply.status != HelloStatus::Accepted) {
    return Status(StatusCode::Unavailable, url.raw + ": the peer does not answer HashKV");
  }
  const raftpb::Message& a = got.answer;
  if (a.type() != kHashKvAnswer) {
    return Status(StatusCode::Unavailable, url.raw + ": not a HashKV answer");
  }
  if (a.reject()) {
    const auto error = static_cast<Error>(a.reject_hint());
    if (error == Error::Compacted || error == Error::FutureRev) return Status(error);
    return Status(StatusCode::Unavailable, url.raw + ": " + a.context());
  }
  out->revision = static_cast<int64_t>(a.index());
  out->compactRevision = static_cast<int64_t>(a.commit());
  out->hash = static_cast<uint32_t>(a.log_term());
  return Status::ok();
}

void serveHashKv(const raftpb::Message& request, const HashKvHandler& handler,
                 std::function<void(raftpb::Message&& answer)> reply) {
  auto answer = [reply = std::move(reply)](const Status& status, const HashKvAnswer& a) {
    raftpb::Message m;
    m.set_type(static_cast<raftpb::MessageType>(kHashKvAnswer));
    if (!status) {
      m.set_reject(true);
      m.set_reject_hint(static_cast<uint64_t>(status.error()));
      m.set_context(status.message());
    } else {
      m.set_index(static_cast<uint64_t>(a.revision));
      m.set_commit(static_cast<uint64_t>(a.compactRevision));
      m.set_log_term(a.hash);
    }
    reply(std::move(m));
  };
  if (request.type() != kHashKvRequest || !handler) {
    answer(Status(StatusCode::Unimplemented, "not a HashKV request"), HashKvAnswer{});
    return;
  }
  handler(static_cast<int64_t>(request.index()), std::move(answer));
}

}  // namespace cairn::transport
