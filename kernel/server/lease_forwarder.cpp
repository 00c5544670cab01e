#include "lease_forwarder.h"

#include <pthread.h>

#include <vector>

#include "cairn/errors.h"

namespace cairn::server {
namespace {

using Clock = std::chrono::steady_clock;

// Outside raft's MessageType range; never stepped into raft.
constexpr int kRenewRequest = 100;
constexpr int kRenewAnswer = 101;
constexpr int kTtlRequest = 102;
constexpr int kTtlAnswer = 103;

enum Outcome : uint64_t { kOk = 0, kNotFound = 1, kNotLeader = 2, kOther = 3 };

constexpr auto kRetryNoLeader = std::chrono::milliseconds(50);
constexpr auto kRetryUnanswered = std::chrono::seconds(1);

raftpb::MessageType type(int t) {
  return static_cast<raftpb::MessageType>(t);
}

}  // namespace

LeaseForwarder::LeaseForwarder(RaftNode& raft, LeaseDriver& driver, lease::Lessor& lessor,
                               const ClusterServer& cluster)
    : raft_(raft), driver_(driver), lessor_(lessor), cluster_(cluster) {}

void LeaseForwarder::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-lease-fwd");
    loop();
  });
}

void LeaseForwarder::stop() {
  std::map<uint64_t, Pending> failed;
  {
    std::lock_guard lk(mu_);
    stop_ = true;
    failed.swap(pending_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const Status stopped(Error::Stopped);
  for (auto& [id, p] : failed) {
    if (p.ttl) {
      p.ttlDone(stopped, {});
    } else {
      p.renewDone(stopped, 0);
    }
  }
}

void LeaseForwarder::renew(int64_t id, RenewDone done) {
  Pending p;
  p.lease = id;
  p.renewDone = std::move(done);
  std::unique_lock lk(mu_);
  if (stop_) {
    lk.unlock();
    p.renewDone(Status(Error::Stopped), 0);
    return;
  }
  const auto now = Clock::now();
  p.deadline = raft_.requestDeadline();
  const uint64_t rid = nextId_++;
  trySend(rid, pending_.emplace(rid, std::move(p)).first->second, now);
}

void LeaseForwarder::timeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req, TtlDone done) {
  Pending p;
  p.ttl = true;
  p.lease = req.id();
  p.keys = req.keys();
  p.ttlDone = std::move(done);
  std::unique_lock lk(mu_);
  if (stop_) {
    lk.unlock();
    p.ttlDone(Status(Error::Stopped), {});
    return;
  }
  const auto now = Clock::now();
  p.deadline = raft_.requestDeadline();
  const uint64_t rid = nextId_++;
  trySend(rid, pending_.emplace(rid, std::move(p)).first->second, now);
}

void LeaseForwarder::trySend(uint64_t requestId, Pending& p, Clock::time_point now) {
  const uint64_t leader = raft_.leader();
  if (leader == 0 || leader == raft_.memberId()) {
    // No leader yet (asked again shortly), or this member became leader
    // meanwhile (loop() answers it locally).
    p.retryAt = now + kRetryNoLeader;
    return;
  }
  raftpb::Message m;
  m.set_type(type(p.ttl ? kTtlRequest : kRenewRequest));
  m.set_to(leader);
  m.set_commit(requestId);
  m.set_index(static_cast<uint64_t>(p.lease));
  m.set_reject(p.keys);
  p.retryAt = now + kRetryUnanswered;
  raft_.sendPeerMessage(std::move(m));
}

bool LeaseForwarder::onPeerMessage(raftpb::Message& m) {
  switch (static_cast<int>(m.type())) {
    case kRenewRequest:
    case kTtlRequest:
      answerRequest(m);
      return true;
    case kRenewAnswer:
    case kTtlAnswer:
      takeAnswer(m);
      return true;
    default:
      return false;
  }
}

etcdserverpb::LeaseTimeToLiveResponse LeaseForwarder::timeToLiveAnswer(
    lease::Lessor& lessor, const etcdserverpb::LeaseTimeToLiveRequest& req, Status* status) {
  etcdserverpb::LeaseTimeToLiveResponse resp;
  resp.set_id(req.id());
  lease::TimeToLive info;
  Status st = lessor.timeToLive(req.id(), &info);
  if (st.is(Error::LeaseNotFound)) {
    resp.set_ttl(-1);  // etcd's v3rpc answers a missing lease so, not with an error
    *status = Status::ok();
    return resp;
  }
  if (!st) {
    *status = st;
    return etcdserverpb::LeaseTimeToLiveResponse();
  }
  resp.set_ttl(info.remaining);
  resp.set_grantedttl(info.grantedTtl);
  if (req.keys()) {
    for (auto& k : info.keys) resp.add_keys(std::move(k));
  }
  *status = Status::ok();
  return resp;
}

void LeaseForwarder::answerRequest(const raftpb::Message& m) {
  const uint64_t from = m.from();
  raftpb::Message answer;
  answer.set_commit(m.commit());
  answer.set_index(m.index());
  const auto id = static_cast<int64_t>(m.index());
  if (!raft_.isLeader()) {
    answer.set_type(type(static_cast<int>(m.type()) == kTtlRequest ? kTtlAnswer : kRenewAnswer));
    answer.set_reject_hint(kNotLeader);
    reply(from, std::move(answer));
    return;
  }
  if (static_cast<int>(m.type()) == kTtlRequest) {
    answer.set_type(type(kTtlAnswer));
    etcdserverpb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(m.reject());
    Status st;
    etcdserverpb::LeaseTimeToLiveResponse resp = timeToLiveAnswer(lessor_, req, &st);
    if (st) {
      answer.set_reject_hint(kOk);
      resp.SerializeToString(answer.mutable_context());
    } else {
      answer.set_reject_hint(kOther);
      answer.set_context(st.message());
    }
    reply(from, std::move(answer));
    return;
  }
  answer.set_type(type(kRenewAnswer));
  // The driver may answer later (a lease whose revoke is pending); the
  // answer is sent from whichever thread completes it.
  driver_.renew(id, [this, from, answer](const Status& st, int64_t ttl) mutable {
    if (st) {
      answer.set_reject_hint(kOk);
      answer.set_log_term(static_cast<uint64_t>(ttl));
    } else if (st.is(Error::LeaseNotFound)) {
      answer.set_reject_hint(kNotFound);
    } else if (st.is(Error::LeaseNotPrimary)) {
      answer.set_reject_hint(kNotLeader);
    } else {
      answer.set_reject_hint(kOther);
      answer.set_context(st.message());
    }
    reply(from, std::move(answer));
  });
}

void LeaseForwarder::reply(uint64_t to, raftpb::Message&& answer) {
  answer.set_to(to);
  raft_.sendPeerMessage(std::move(answer));
}

void LeaseForwarder::takeAnswer(const raftpb::Message& m) {
  Pending p;
  {
    std::lock_guard lk(mu_);
    auto it = pending_.find(m.commit());
    if (it == pending_.end()) return;  // answered already, or timed out
    if (m.reject_hint() == kNotLeader) {
      // Leadership is moving: ask again once a leader is known.
      it->second.retryAt = Clock::now() + kRetryNoLeader;
      return;
    }
    p = std::move(it->second);
    pending_.erase(it);
  }
  Status st = Status::ok();
  if (m.reject_hint() == kNotFound) {
    st = Status(Error::LeaseNotFound);
  } else if (m.reject_hint() != kOk) {
    st = Status(StatusCode::Unavailable, m.context());
  }
  if (p.ttl) {
    etcdserverpb::LeaseTimeToLiveResponse resp;
    if (st && !resp.ParseFromString(m.context())) {
      st = Status(StatusCode::Internal, "etcdserver: cannot parse the leader's TimeToLive answer");
    }
    p.ttlDone(st, std::move(resp));
  } else {
    p.renewDone(st, st ? static_cast<int64_t>(m.log_term()) : 0);
  }
}

void LeaseForwarder::loop() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    cv_.wait_for(lk, kRetryNoLeader, [this] { return stop_; });
    if (stop_) break;
    const auto now = Clock::now();
    const bool leading = raft_.isLeader();
    std::vector<Pending> expired, local;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now || leading) {
        (leading ? local : expired).push_back(std::move(it->second));
        it = pending_.erase(it);
        continue;
      }
      if (it->second.retryAt <= now) trySend(it->first, it->second, now);
      ++it;
    }
    if (expired.empty() && local.empty()) continue;
    lk.unlock();
    for (auto& p : local) {
      if (p.ttl) {
        etcdserverpb::LeaseTimeToLiveRequest req;
        req.set_id(p.lease);
        req.set_keys(p.keys);
        Status st;
        etcdserverpb::LeaseTimeToLiveResponse resp = timeToLiveAnswer(lessor_, req, &st);
        p.ttlDone(st, std::move(resp));
      } else {
        driver_.renew(p.lease, std::move(p.renewDone));
      }
    }
    const Status timeout(Error::Timeout);
    for (auto& p : expired) {
      if (p.ttl) {
        p.ttlDone(timeout, {});
      } else {
        p.renewDone(timeout, 0);
      }
    }
    lk.lock();
  }
}

}  // namespace cairn::server
