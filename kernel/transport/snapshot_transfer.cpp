// TcpTransport's snapshots: a thread per snapshot sent or received, so a
// large state never holds up the io thread that runs the lanes.
#include <pthread.h>
#include <signal.h>

#include <atomic>

#include "peer_ids.h"
#include "snapshot_receiver.h"
#include "snapshot_sender.h"
#include "tcp_transport.h"

namespace cairn::transport {
namespace {
constexpr const char* kCaller = "rafthttp/transport.go";
}  // namespace

void TcpTransport::sendSnapshotOnIo(raftpb::Message&& m) {
  const uint64_t to = m.to();
  auto it = peers_.find(to);
  if (it == peers_.end() || !snapshotIo_.exportState) {
    if (!snapshotIo_.exportState) {
      logger_.warn(kCaller, "cannot send a snapshot: no backend state to send",
                   jsonField("remote-peer-id", idHex(to)));
    }
    if (feedback_.snapshotStatus) feedback_.snapshotStatus(to, true);
    return;
  }
  if (peerMetrics_ != nullptr) peerMetrics_->onSend(m);
  auto job = std::make_unique<SnapshotJob>();
  job->sender = std::make_unique<SnapshotSender>(
      logger_, Hello{options_.clusterId, options_.localId, to, Lane::Snapshot}, it->second.urls,
      std::move(m), snapshotIo_, options_.snapshot, options_.tls.get());
  startSnapshotJob(std::move(job));
}

void TcpTransport::receiveSnapshot(const Hello& hello, std::unique_ptr<SnapshotChannel> channel) {
  if (snapshotIo_.dir.empty()) return;  // the connection closes: the sender fails
  auto job = std::make_unique<SnapshotJob>();
  job->receiver = std::make_unique<SnapshotReceiver>(
      logger_, options_.localId, hello, std::move(channel), snapshotIo_.dir, options_.maxFrameBytes,
      options_.snapshotReceiveTimeout);
  startSnapshotJob(std::move(job));
}

void TcpTransport::startSnapshotJob(std::unique_ptr<SnapshotJob> job) {
  std::lock_guard lk(snapshotMu_);
  // Finished jobs are joined here, the next time one starts, or by stop().
  for (auto it = snapshotJobs_.begin(); it != snapshotJobs_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = snapshotJobs_.erase(it);
    } else {
      ++it;
    }
  }
  if (snapshotsStopped_) {
    if (job->sender && feedback_.snapshotStatus) feedback_.snapshotStatus(job->sender->to(), true);
    return;
  }
  SnapshotJob* raw = job.get();
  raw->thread = std::thread([this, raw] {
    // A write to a peer that has gone fails with EPIPE instead of raising
    // SIGPIPE (OpenSSL writes TLS records with write(2)); a SIGPIPE left
    // pending on this thread goes with it.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    if (raw->sender) {
      pthread_setname_np(pthread_self(), "cairn-snap-send");
      const uint64_t to = raw->sender->to();
      const Status st = raw->sender->run();
      // As etcd's sender: a failure also marks the peer unreachable, so the
      // leader probes it before raft retries the snapshot.
      if (!st && feedback_.unreachable) feedback_.unreachable(to);
      if (feedback_.snapshotStatus) feedback_.snapshotStatus(to, !st);
    } else {
      pthread_setname_np(pthread_self(), "cairn-snap-recv");
      (void)raw->receiver->run(deliver_);
    }
    raw->done = true;
  });
  snapshotJobs_.push_back(std::move(job));
}

void TcpTransport::stopSnapshotJobs() {
  std::list<std::unique_ptr<SnapshotJob>> jobs;
  {
    std::lock_guard lk(snapshotMu_);
    snapshotsStopped_ = true;
    jobs.swap(snapshotJobs_);
  }
  for (auto& job : jobs) {
    if (job->sender) job->sender->cancel();
    if (job->receiver) job->receiver->cancel();
  }
  for (auto& job : jobs) job->thread.join();
}

}  // namespace cairn::transport
