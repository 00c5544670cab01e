#include "lease_driver.h"

#include <pthread.h>

#include "cairn/errors.h"
#include "cairn/logger.h"
#include "raft_node.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/lease_driver.cpp";

std::string leaseHex(int64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace

LeaseDriver::LeaseDriver(RaftNode& raft, lease::Lessor& lessor, Logger& logger)
    : raft_(raft), lessor_(lessor), logger_(logger) {}

LeaseDriver::~LeaseDriver() {
  stop();
}

void LeaseDriver::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-lease");
    loop();
  });
}

void LeaseDriver::stop() {
  std::vector<PendingRenew> pending;
  {
    std::lock_guard lk(mu_);
    stop_ = true;
    pending.swap(pending_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    // A renew() racing with stop() may have queued after the swap above.
    std::lock_guard lk(mu_);
    for (auto& p : pending_) pending.push_back(std::move(p));
    pending_.clear();
  }
  const Status stopped(Error::Stopped);
  for (auto& p : pending) p.done(stopped, 0);
}

bool LeaseDriver::tryRenew(int64_t id, const RenewDone& done) {
  lease::RenewResult result;
  Status st = lessor_.renew(id, &result);
  if (st) {
    if (result.clearCheckpoint) {
      // Every member must forget the checkpointed remainder, or a new leader
      // would restart the lease from it instead of from its full TTL.
      etcdserverpb::InternalRaftRequest req;
      auto* cp = req.mutable_lease_checkpoint()->add_checkpoints();
      cp->set_id(id);
      cp->set_remaining_ttl(0);
      raft_.propose(std::move(req), [](ApplyResult&&) {});
    }
    done(Status::ok(), result.ttl);
    return true;
  }
  if (st.is(Error::LeaseExpiring) || st.is(Error::LeaseNotPrimary)) return false;
  done(st, 0);
  return true;
}

void LeaseDriver::renew(int64_t id, RenewDone done) {
  if (tryRenew(id, done)) return;
  {
    std::lock_guard lk(mu_);
    if (!stop_) {
      pending_.push_back({id, std::move(done), raft_.requestDeadline()});
      return;
    }
  }
  done(Status(Error::Stopped), 0);
}

void LeaseDriver::retryRenewals() {
  std::vector<PendingRenew> pending;
  {
    std::lock_guard lk(mu_);
    pending.swap(pending_);
  }
  if (pending.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  std::vector<PendingRenew> still;
  for (auto& p : pending) {
    if (tryRenew(p.id, p.done)) continue;
    if (p.deadline <= now) {
      p.done(Status(Error::Timeout), 0);
      continue;
    }
    still.push_back(std::move(p));
  }
  std::lock_guard lk(mu_);
  for (auto& p : still) pending_.push_back(std::move(p));
}

void LeaseDriver::revokeExpired(std::size_t budget) {
  const int inFlight = revokesInFlight_.load();
  if (inFlight >= lease::kLeaseRevokeRate) return;
  budget = std::min(budget, static_cast<std::size_t>(lease::kLeaseRevokeRate - inFlight));
  for (int64_t id : lessor_.expiredLeases(budget)) {
    etcdserverpb::InternalRaftRequest req;
    req.mutable_lease_revoke()->set_id(id);
    ++revokesInFlight_;
    raft_.propose(std::move(req), [this, id](ApplyResult&& r) {
      --revokesInFlight_;
      // Not found: revoked meanwhile by a client; nothing to retry.
      if (!r.status && !r.status.is(Error::LeaseNotFound) && !r.status.is(Error::Stopped)) {
        logger_.warn(
            kCaller, "failed to revoke lease",
            jsonField("lease-id", leaseHex(id)) + "," + jsonField("error", r.status.message()));
      }
    });
  }
}

void LeaseDriver::proposeCheckpoints() {
  std::vector<lease::Checkpoint> due = lessor_.dueCheckpoints(lease::kMaxLeaseCheckpointBatchSize);
  if (due.empty()) return;
  etcdserverpb::InternalRaftRequest req;
  for (const auto& c : due) {
    auto* cp = req.mutable_lease_checkpoint()->add_checkpoints();
    cp->set_id(c.id);
    cp->set_remaining_ttl(c.remainingTtl);
  }
  raft_.propose(std::move(req), [this](ApplyResult&& r) {
    if (!r.status) {
      logger_.warn(kCaller, "failed to checkpoint leases", jsonField("error", r.status.message()));
    }
  });
}

void LeaseDriver::loop() {
  // Revokes are paced per tick so the per-second rate holds.
  const std::size_t revokesPerTick =
      static_cast<std::size_t>(lease::kLeaseRevokeRate * kTickInterval.count() / 1000);
  std::unique_lock lk(mu_);
  while (!stop_) {
    cv_.wait_for(lk, kTickInterval, [this] { return stop_; });
    if (stop_) break;
    lk.unlock();
    retryRenewals();
    if (raft_.isLeader()) {
      revokeExpired(revokesPerTick);
      proposeCheckpoints();
    }
    lk.lock();
  }
}

}  // namespace cairn::server
