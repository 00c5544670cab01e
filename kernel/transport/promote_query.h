// MemberPromote over Cairn's peer protocol: a follower asked to promote a
// learner hands the request to the leader, which alone knows whether the
// learner caught up, as etcd's follower POSTs the leader's
// /members/promote/<id> (etcdserver/cluster_util.go promoteMemberHTTP).
//
// The exchange, on a connection of its own (a peer query, isPeerQuery):
//   asker:    hello {clusterId, from 0, to 0}, then one frame: type
//             kPromoteRequest, index = the learner's member id
//   answerer: hello reply (Accepted, or ClusterMismatch for another cluster)
//             and one frame: type kPromoteAnswer, context = the serialized
//             MemberPromoteResponse (the members once promoted); or
//             reject = true, reject_hint = the cairn::Error, context = the
//             error's message; then it closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cairn/raftpb.pb.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "peer_tls.h"
#include "transport.h"

namespace cairn::transport {

// Message types outside raft's range (lease forwarder 100-103, HashKV
// 110-111).
inline constexpr int kPromoteRequest = 112;
inline constexpr int kPromoteAnswer = 113;

// The asking side. Blocks up to `timeout`. Ok with `*response` (serialized
// MemberPromoteResponse), the answerer's error as it was (a cairn::Error,
// e.g. LearnerNotReady, NotLeader), or Unavailable with the cause when the
// peer could not be asked or gave no answer.
Status queryPromote(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                    uint64_t clusterId, uint64_t memberId, std::string* response);

// The answering side (the transport, for an accepted peer query): a
// request frame turned into a call of `handler` (none: refused) and its
// outcome into the answer frame handed to `reply`.
void servePromote(const raftpb::Message& request, const PromoteHandler& handler,
                  std::function<void(raftpb::Message&& answer)> reply);

}  // namespace cairn::transport
