#include "cluster_query.h"

#include "hello.h"
#include "peer_query.h"

namespace cairn::transport {

Status queryCluster(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                    uint64_t* clusterId, std::string* answer) {
  PeerAnswer got;
  // Member 0 to member 0 of cluster 0: a cluster query, no frames after it.
  const std::string hello = encodeHello(Hello{0, 0, 0, Lane::Priority});
  if (Status st = askPeer(url, tls, timeout, hello, 64u << 20, &got); !st) return st;
  if (got.reply.status != HelloStatus::Accepted) {
    return Status(StatusCode::Unavailable, url.raw + ": the peer does not describe its cluster");
  }
  *clusterId = got.reply.clusterId;
  *answer = got.answer.context();
  return Status::ok();
}

}  // namespace cairn::transport
