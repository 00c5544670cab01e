#include "peer_metrics.h"

#include <cstdio>
#include <vector>

namespace cairn::transport {
namespace {

std::string hexId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

std::vector<double> rttBuckets() {
  std::vector<double> b;
  double v = 0.0001;
  for (int i = 0; i < 16; ++i, v *= 2) b.push_back(v);
  return b;
}

}  // namespace

PeerMetrics::PeerMetrics(Metrics& metrics, uint64_t localId)
    : metrics_(metrics), local_(hexId(localId)) {}

PeerMetrics::PeerSeries& PeerMetrics::series(uint64_t peer) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) return it->second;
  const std::string id = hexId(peer);
  PeerSeries s;
  s.sentBytes = metrics_.counter("etcd_network_peer_sent_bytes_total",
                                 "The total number of bytes sent to peers.", {{"To", id}});
  s.receivedBytes =
      metrics_.counter("etcd_network_peer_received_bytes_total",
                       "The total number of bytes received from peers.", {{"From", id}});
  s.sentFailures = metrics_.counter("etcd_network_peer_sent_failures_total",
                                    "The total number of send failures from peers.", {{"To", id}});
  s.receivedFailures =
      metrics_.counter("etcd_network_peer_received_failures_total",
                       "The total number of receive failures from peers.", {{"From", id}});
  s.active =
      metrics_.gauge("etcd_network_active_peers", "The current number of active peer connections.",
                     {{"Local", local_}, {"Remote", id}});
  s.disconnects = metrics_.counter("etcd_network_disconnected_peers_total",
                                   "The total number of disconnected peers.",
                                   {{"Local", local_}, {"Remote", id}});
  s.rtt = metrics_.histogram("etcd_network_peer_round_trip_time_seconds",
                             "Round-Trip-Time histogram between peers", rttBuckets(), {{"To", id}});
  return peers_.emplace(peer, s).first->second;
}

void PeerMetrics::sent(uint64_t peer, uint64_t bytes) {
  std::lock_guard lk(mu_);
  series(peer).sentBytes->inc(static_cast<double>(bytes));
}

void PeerMetrics::received(uint64_t peer, uint64_t bytes) {
  std::lock_guard lk(mu_);
  series(peer).receivedBytes->inc(static_cast<double>(bytes));
}

void PeerMetrics::sendFailed(uint64_t peer) {
  std::lock_guard lk(mu_);
  series(peer).sentFailures->inc();
}

void PeerMetrics::receiveFailed(uint64_t peer) {
  std::lock_guard lk(mu_);
  series(peer).receivedFailures->inc();
}

void PeerMetrics::connected(uint64_t peer) {
  std::lock_guard lk(mu_);
  PeerSeries& s = series(peer);
  if (s.up) return;
  s.up = true;
  s.active->add(1);
}

void PeerMetrics::disconnected(uint64_t peer) {
  std::lock_guard lk(mu_);
  PeerSeries& s = series(peer);
  if (!s.up) return;
  s.up = false;
  s.active->add(-1);
  s.disconnects->inc();
  s.heartbeatSent = {};
}

void PeerMetrics::onSend(const raftpb::Message& m) {
  if (m.type() != raftpb::MSG_HEARTBEAT) return;
  std::lock_guard lk(mu_);
  PeerSeries& s = series(m.to());
  if (s.heartbeatSent == std::chrono::steady_clock::time_point{}) {
    s.heartbeatSent = std::chrono::steady_clock::now();
  }
}

void PeerMetrics::onReceive(const raftpb::Message& m) {
  if (m.type() != raftpb::MSG_HEARTBEAT_RESP) return;
  std::lock_guard lk(mu_);
  PeerSeries& s = series(m.from());
  if (s.heartbeatSent == std::chrono::steady_clock::time_point{}) return;
  const std::chrono::duration<double> rtt = std::chrono::steady_clock::now() - s.heartbeatSent;
  s.rtt->observe(rtt.count());
  s.heartbeatSent = {};
}

}  // namespace cairn::transport
