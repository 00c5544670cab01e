// HashKV over Cairn's peer protocol: one member asks another for its
// HashKV at a revision, as etcd's corruption checks GET a peer's
// /members/hashkv over HTTP (etcdserver/corrupt.go). Interop with etcd's
// peers is not a goal: Cairn's peer port speaks its own framed protocol.
//
// The exchange, on a connection of its own:
//   asker:    hello {clusterId, from 0, to 0} (a peer query, isPeerQuery)
//   answerer: hello reply (Accepted, or ClusterMismatch for another cluster)
//   asker:    one frame: type kHashKvRequest, index = revision
//   answerer: one frame: type kHashKvAnswer, index = its current revision,
//             commit = its compacted revision, log_term = the hash; or
//             reject = true, reject_hint = the cairn::Error, context = the
//             error's message (Compacted, FutureRev: what etcd's handler
//             answers with 400 and its error text); then it closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "cairn/raftpb.pb.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "hello.h"
#include "peer_tls.h"

namespace cairn::transport {

// Message types outside raft's range (and the lease forwarder's 100-103).
inline constexpr int kHashKvRequest = 110;
inline constexpr int kHashKvAnswer = 111;

// What etcd's HashKVResponse carries for the check: header revision,
// compact revision, hash.
struct HashKvAnswer {
  int64_t revision = 0;
  int64_t compactRevision = 0;
  uint32_t hash = 0;
};

// A hello of cluster `clusterId` from member 0 to member 0: a question on a
// connection of its own, answered by one frame (compare isClusterQuery,
// whose cluster id is 0 too).
inline bool isPeerQuery(const Hello& h) {
  return h.clusterId != 0 && h.from == 0 && h.to == 0;
}

// The answering member's HashKV at `revision` (0: its current one); `done`
// may be called on any thread, once.
using HashKvHandler = std::function<void(
    int64_t revision, std::function<void(const Status& status, const HashKvAnswer& answer)> done)>;

// The asking side. Blocks up to `timeout`. Error::Compacted and
// Error::FutureRev as the peer's store answered them; anything else
// (unreachable, refused, no answer in time) is Unavailable with the cause.
// `tls` (null: none) dials https:// URLs, as the transport does.
Status queryHashKv(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                   uint64_t clusterId, int64_t revision, HashKvAnswer* out);

// The answering side (InboundSession, after accepting a peer query): turns
// a request frame into a call of `handler` and its outcome into the answer
// frame handed to `reply`.
void serveHashKv(const raftpb::Message& request, const HashKvHandler& handler,
                 std::function<void(raftpb::Message&& answer)> reply);

}  // namespace cairn::transport
