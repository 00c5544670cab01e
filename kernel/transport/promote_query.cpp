#include "promote_query.h"

#include <iterator>

#include "cairn/errors.h"
#include "frame_codec.h"
#include "hashkv_query.h"
#include "peer_query.h"

namespace cairn::transport {

Status queryPromote(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                    uint64_t clusterId, uint64_t memberId, std::string* response) {
  std::string question = encodeHello(Hello{clusterId, 0, 0, Lane::Priority});
  raftpb::Message request;
  request.set_type(static_cast<raftpb::MessageType>(kPromoteRequest));
  request.set_index(memberId);
  appendFrame(request, &question);
  PeerAnswer got;
  // The members of a large cluster fit easily.
  if (Status st = askPeer(url, tls, timeout, question, 4u << 20, &got); !st) return st;
  if (got.reply.status == HelloStatus::ClusterMismatch) {
    return Status(StatusCode::Unavailable, url.raw + ": cluster ID mismatch");
  }
  if (got.reply.status != HelloStatus::Accepted) {
    return Status(StatusCode::Unavailable, url.raw + ": the peer does not answer MemberPromote");
  }
  const raftpb::Message& a = got.answer;
  if (a.type() != kPromoteAnswer) {
    return Status(StatusCode::Unavailable, url.raw + ": not a MemberPromote answer");
  }
  if (a.reject()) {
    // The answerer's own status when it is one of the catalogue's errors
    // (a hint out of range comes from a build that knows more of them).
    if (a.reject_hint() != 0 && a.reject_hint() < std::size(kErrorCatalogue)) {
      return Status(static_cast<Error>(a.reject_hint()), a.context());
    }
    return Status(StatusCode::Unavailable, url.raw + ": " + a.context());
  }
  *response = a.context();
  return Status::ok();
}

void servePromote(const raftpb::Message& request, const PromoteHandler& handler,
                  std::function<void(raftpb::Message&& answer)> reply) {
  auto answer = [reply = std::move(reply)](const Status& status, std::string response) {
    raftpb::Message m;
    m.set_type(static_cast<raftpb::MessageType>(kPromoteAnswer));
    if (!status) {
      m.set_reject(true);
      m.set_reject_hint(static_cast<uint64_t>(status.error()));
      m.set_context(status.message());
    } else {
      m.set_context(std::move(response));
    }
    reply(std::move(m));
  };
  if (request.type() != kPromoteRequest || !handler) {
    answer(Status(StatusCode::Unimplemented, "not a MemberPromote request"), {});
    return;
  }
  handler(request.index(), std::move(answer));
}

}  // namespace cairn::transport
