// Server's part of the corruption checks (etcdserver/corrupt.go): wiring
// CorruptionCheck to this member's store, members, reads and raft.
#include <future>

#include "cairn/errors.h"
#include "config/go_values.h"
#include "corruption_monitor.h"
#include "mvcc/kv_store.h"
#include "raft_node.h"
#include "reads.h"
#include "server.h"
#include "tcp_hash_kv_peers.h"

namespace cairn::server {

std::chrono::milliseconds Server::requestTimeout() const {
  // etcd's ReqTimeout: 5 s for queueing, computation and disk, plus two
  // election timeouts for a possible election.
  return std::chrono::milliseconds(5000 + 2 * options_.electionTimeoutMs);
}

CorruptionCheck::Parts Server::corruptionCheckParts() {
  if (!hashKvPeers_)
    hashKvPeers_ = std::make_unique<TcpHashKvPeers>(clusterId_, requestTimeout(), peerTls_.get());
  CorruptionCheck::Parts p;
  p.localId = memberId_;
  p.logger = &logger_;
  p.peers = hashKvPeers_.get();
  p.localHash = [this](transport::HashKvAnswer* out) {
    mvcc::KvStore::KvHash h;
    if (Status st = store_->hashKv(0, &h); !st) return st;
    out->revision = h.currentRev;
    out->compactRevision = h.compactRev;
    out->hash = h.hash;
    return Status::ok();
  };
  p.members = [this] {
    std::vector<std::pair<uint64_t, std::vector<std::string>>> out;
    for (const auto& m : members_.all()) {
      out.emplace_back(m.id(), std::vector<std::string>(m.peerurls().begin(), m.peerurls().end()));
    }
    return out;
  };
  p.linearizableRead = [this] {
    auto result = std::make_shared<std::promise<Status>>();
    std::future<Status> done = result->get_future();
    reads_->linearizable([result](const Status& st) { result->set_value(st); });
    // Polled, so stop() does not wait out a read that cannot complete.
    const auto deadline = std::chrono::steady_clock::now() + requestTimeout();
    while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      if (stopped_) return Status(Error::Stopped);
      if (std::chrono::steady_clock::now() >= deadline) return Status(Error::Timeout);
    }
    return done.get();
  };
  p.raiseAlarm = [this](const etcdserverpb::AlarmRequest& a) {
    etcdserverpb::InternalRaftRequest ir;
    *ir.mutable_alarm() = a;
    // As etcd's goAttach'ed raftRequest: nobody waits for the answer.
    raft_->propose(std::move(ir), [](ApplyResult&&) {});
  };
  p.timeoutText = config::formatGoDuration(
      std::chrono::duration_cast<std::chrono::nanoseconds>(requestTimeout()).count());
  return p;
}

Status Server::initialCorruptCheck() {
  CorruptionCheck check(corruptionCheckParts());
  return check.initial();
}

void Server::answerHashKv(int64_t revision,
                          std::function<void(const Status&, const transport::HashKvAnswer&)> done) {
  // Hashing reads the whole key bucket: on the read pool, not the peer
  // transport's io thread.
  reads_->serializable([this, revision, done = std::move(done)](const Status& ready) {
    transport::HashKvAnswer a;
    if (!ready) {
      done(ready, a);
      return;
    }
    mvcc::KvStore::KvHash h;
    Status st = store_->hashKv(revision, &h);
    if (!st) {
      logger_.warn("etcdserver/corrupt.go", "failed to get hashKV",
                   jsonField("requested-revision", static_cast<long long>(revision)) + "," +
                       jsonField("error", st.message()));
    }
    a.revision = h.currentRev;
    a.compactRevision = h.compactRev;
    a.hash = h.hash;
    done(st, a);
  });
}

void Server::makeCorruptionMonitor() {
  corruptionMonitor_ = std::make_unique<CorruptionMonitor>(
      CorruptionCheck(corruptionCheckParts()), options_.corruptCheckTime,
      [this] { return raft_->isLeader(); }, memberId_, logger_);
}

}  // namespace cairn::server
