// Hello: the first bytes on every peer connection, and the answer to them.
//
// The dialing member says who it is, which member it wants and for which
// cluster and lane; the accepting member answers with one status byte and
// its own cluster id, so a member of another cluster (a data dir of another
// cluster, a different --initial-cluster-token) is refused on both sides
// with etcd's "cluster ID mismatch" messages instead of exchanging raft
// messages. Fixed sizes, big-endian, a magic that names the protocol version.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lane.h"

namespace cairn::transport {

struct Hello {
  uint64_t clusterId = 0;
  uint64_t from = 0;
  uint64_t to = 0;
  Lane lane = Lane::Bulk;
};

enum class HelloStatus : uint8_t {
  Accepted = 0,
  ClusterMismatch = 1,
  UnknownMember = 2,  // `to` is not this member, or `from` is not a member
  RemovedMember = 3,  // `from` was removed from the cluster (etcd's 410 Gone)
};

struct HelloReply {
  HelloStatus status = HelloStatus::Accepted;
  uint64_t clusterId = 0;  // the accepting member's
  // Not on the wire in the reply itself: an answer to a cluster query,
  // written as one frame (a raftpb::Message carrying it as its context)
  // after the reply, then the connection ends.
  std::string answer;
  // Not on the wire either: for an accepted peer query (isPeerQuery in
  // hashkv_query.h), what answers the one request frame that follows the
  // hello; `reply` may be called on any thread, once.
  std::function<void(const raftpb::Message& request,
                     std::function<void(raftpb::Message&& answer)> reply)>
      serveQuery;
};

// A hello from member 0 to member 0 of cluster 0 is not a peer's: it asks
// for the cluster's description (a member started with
// --initial-cluster-state=existing learning the members it joins).
inline bool isClusterQuery(const Hello& h) {
  return h.clusterId == 0 && h.from == 0 && h.to == 0;
}

inline constexpr std::size_t kHelloBytes = 8 + 8 + 8 + 8 + 1;
inline constexpr std::size_t kHelloReplyBytes = 1 + 8;

std::string encodeHello(const Hello& h);
// False when `bytes` (kHelloBytes long) is not a hello of this protocol.
bool decodeHello(std::string_view bytes, Hello* out);
std::string encodeHelloReply(const HelloReply& r);
bool decodeHelloReply(std::string_view bytes, HelloReply* out);

}  // namespace cairn::transport
