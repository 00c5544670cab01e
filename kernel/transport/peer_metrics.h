// PeerMetrics: etcd's peer network metrics (etcd_network_*), fed by the
// transport, so etcd's dashboards and alerts on peer traffic work unchanged:
//
//   etcd_network_peer_sent_bytes_total{To}, ..._received_bytes_total{From},
//   etcd_network_peer_sent_failures_total{To}, ..._received_failures_total{From},
//   etcd_network_active_peers{Local,Remote}, etcd_network_disconnected_peers_total{Local,Remote},
//   etcd_network_peer_round_trip_time_seconds{To} (etcd's buckets: 0.1 ms x 2^0..15).
//
// Peers are labelled with their id in hex, as etcd prints types.ID. The
// round trip is measured on the raft traffic itself (a heartbeat to a peer
// and that peer's answer), so only the leader observes it; etcd's members
// each probe their peers over HTTP every few seconds.
//
// Thread-safe: the metric objects are lock-free; the per-peer maps are
// guarded by mu_.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "cairn/metrics.h"
#include "cairn/raftpb.pb.h"

namespace cairn::transport {

class PeerMetrics {
 public:
  PeerMetrics(Metrics& metrics, uint64_t localId);

  // A batch of `bytes` written to (read from) `peer`'s connection.
  void sent(uint64_t peer, uint64_t bytes);
  void received(uint64_t peer, uint64_t bytes);
  // A message to `peer` dropped (queue full, connection lost) / a
  // connection from `peer` that failed (bad hello, bad frame).
  void sendFailed(uint64_t peer);
  void receiveFailed(uint64_t peer);
  // `peer`'s outgoing connection came up / went down.
  void connected(uint64_t peer);
  void disconnected(uint64_t peer);
  // Round trips: a MsgHeartbeat leaving for a peer, and its answer.
  void onSend(const raftpb::Message& m);
  void onReceive(const raftpb::Message& m);

 private:
  struct PeerSeries {
    Counter* sentBytes = nullptr;
    Counter* receivedBytes = nullptr;
    Counter* sentFailures = nullptr;
    Counter* receivedFailures = nullptr;
    Gauge* active = nullptr;
    Counter* disconnects = nullptr;
    Histogram* rtt = nullptr;
    bool up = false;
    // When the heartbeat awaiting an answer left; zero when none.
    std::chrono::steady_clock::time_point heartbeatSent{};
  };
  PeerSeries& series(uint64_t peer);  // mu_ held

  Metrics& metrics_;
  const std::string local_;
  std::mutex mu_;
  std::map<uint64_t, PeerSeries> peers_;  // guarded by mu_
};

}  // namespace cairn::transport
