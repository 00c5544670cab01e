#include "lease/lessor.h"

#include <algorithm>
#include <limits>

#include "cairn/errors.h"
#include "lease/lease_codec.h"

namespace cairn::lease {

namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

// `at + d`, saturating just below kForever: TTLs go up to 9e9 s, which with an
// extension added comes close to the clock's range, and a real expiry must
// never read as "forever".
TimePoint addSaturating(TimePoint at, nanoseconds d) {
  if (d.count() <= 0) return at + d;
  const auto headroom = (kForever - at) - nanoseconds(1);
  return d >= headroom ? kForever - nanoseconds(1) : at + d;
}

nanoseconds ttlDuration(int64_t ttlSeconds) {
  // seconds -> ns overflows past ~9.2e9 s; kMaxLeaseTtl keeps grants below,
  // but a recovered record is not validated, so clamp.
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000'000;
  return seconds(std::clamp<int64_t>(ttlSeconds, 0, kMaxSeconds));
}

}  // namespace

Lessor::Lessor(LessorConfig config, Clock clock)
    : config_(config),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

Status Lessor::grant(int64_t id, int64_t ttl, storage::WriteBatch& batch, Lease* granted) {
  // etcd answers a zero id with "lease not found" (its NoLease).
  if (id == kNoLease) return Status(Error::LeaseNotFound);
  if (ttl > kMaxLeaseTtl) return Status(Error::LeaseTtlTooLarge);

  std::lock_guard lock(mu_);
  if (leases_.count(id) != 0) return Status(Error::LeaseExist);

  Lease lease;
  lease.id = id;
  lease.ttl = std::max(ttl, config_.minTtl);
  const TimePoint now = clock_();
  if (primary_) {
    refreshLocked(lease, now, nanoseconds(0));
  }
  persist(lease, batch);
  auto& stored = leases_.emplace(id, std::move(lease)).first->second;
  if (primary_) {
    scheduleExpiryLocked(id, stored.expiry);
    scheduleCheckpointLocked(stored, now);
  }
  if (granted != nullptr) *granted = stored;
  return Status::ok();
}

Status Lessor::revoke(int64_t id, storage::WriteBatch& batch, std::vector<std::string>* keys) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return Status(Error::LeaseNotFound);
  for (const auto& key : it->second.keys) keyLease_.erase(key);
  if (keys != nullptr) {
    // std::set iterates in byte order: the deletes run in the same order on
    // every member, which keeps the backends' hashes equal.
    keys->assign(it->second.keys.begin(), it->second.keys.end());
  }
  unscheduleExpiryLocked(id);
  leases_.erase(it);
  erase(id, batch);
  return Status::ok();
}

void Lessor::applyCheckpoint(int64_t id, int64_t remainingTtl, storage::WriteBatch& batch) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return;
  // Only the stored remainder changes; promote() turns it into an expiry.
  it->second.remainingTtl = remainingTtl;
  if (config_.checkpointPersist) persist(it->second, batch);
  if (primary_) scheduleCheckpointLocked(it->second, clock_());
}

Status Lessor::attach(int64_t id, const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return Status(Error::LeaseNotFound);
  auto owner = keyLease_.find(key);
  if (owner != keyLease_.end() && owner->second != id) {
    auto old = leases_.find(owner->second);
    if (old != leases_.end()) old->second.keys.erase(key);
  }
  it->second.keys.insert(key);
  keyLease_[key] = id;
  return Status::ok();
}

Status Lessor::detach(int64_t id, const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return Status(Error::LeaseNotFound);
  if (it->second.keys.erase(key) != 0) keyLease_.erase(key);
  return Status::ok();
}

Status Lessor::recover(storage::ReadTxn& txn) {
  std::map<int64_t, Lease> recovered;
  Status decodeStatus;
  Status st = txn.range(storage::kLeaseBucket, "", "", 0, false,
                        [&](std::string_view key, std::string_view value) {
                          Lease lease;
                          decodeStatus = decodeLease(key, value, &lease);
                          if (!decodeStatus) return false;
                          lease.ttl = std::max(lease.ttl, config_.minTtl);
                          recovered.emplace(lease.id, std::move(lease));
                          return true;
                        });
  if (!st) return st;
  if (!decodeStatus) return decodeStatus;

  std::lock_guard lock(mu_);
  leases_ = std::move(recovered);
  keyLease_.clear();
  expiryQueue_.clear();
  expiryDue_.clear();
  checkpointQueue_ = {};
  primary_ = false;
  return Status::ok();
}

void Lessor::promote(nanoseconds extend) {
  std::lock_guard lock(mu_);
  primary_ = true;
  const TimePoint now = clock_();
  for (auto& [id, lease] : leases_) {
    refreshLocked(lease, now, extend);
    scheduleExpiryLocked(id, lease.expiry);
    scheduleCheckpointLocked(lease, now);
  }
  if (leases_.size() >= static_cast<std::size_t>(kLeaseRevokeRate)) {
    spreadExpiriesLocked(now, extend);
  }
}

// With many leases (say all granted with one TTL before a leader change) the
// refresh above makes them expire together, and their revokes would eat the
// whole revoke budget. Like etcd, walk them in expiry order in one-second
// windows and push back every lease beyond 3/4 of the per-second rate.
void Lessor::spreadExpiriesLocked(TimePoint now, nanoseconds extend) {
  std::vector<Lease*> byExpiry;
  byExpiry.reserve(leases_.size());
  for (auto& [id, lease] : leases_) byExpiry.push_back(&lease);
  std::sort(byExpiry.begin(), byExpiry.end(), [](const Lease* a, const Lease* b) {
    return a->expiry != b->expiry ? a->expiry < b->expiry : a->id < b->id;
  });

  const int64_t targetPerSecond = (3 * kLeaseRevokeRate) / 4;
  nanoseconds baseWindow = byExpiry.front()->expiry - now;
  nanoseconds nextWindow = baseWindow + seconds(1);
  int64_t expires = 0;
  for (Lease* lease : byExpiry) {
    const nanoseconds remaining = lease->expiry - now;
    if (remaining > nextWindow) {
      baseWindow = remaining;
      nextWindow = baseWindow + seconds(1);
      expires = 1;
      continue;
    }
    ++expires;
    if (expires <= targetPerSecond) continue;
    double rateDelay = 1e9 * (static_cast<double>(expires) / static_cast<double>(targetPerSecond));
    // A lease already n seconds into the window needs n seconds less delay.
    rateDelay -= static_cast<double>((remaining - baseWindow).count());
    const nanoseconds delay(static_cast<int64_t>(rateDelay));
    nextWindow = baseWindow + delay;
    refreshLocked(*lease, now, delay + extend);
    scheduleExpiryLocked(lease->id, lease->expiry);
    scheduleCheckpointLocked(*lease, now);
  }
}

void Lessor::demote() {
  std::lock_guard lock(mu_);
  for (auto& [id, lease] : leases_) lease.expiry = kForever;
  expiryQueue_.clear();
  expiryDue_.clear();
  checkpointQueue_ = {};
  primary_ = false;
}

bool Lessor::isPrimary() const {
  std::lock_guard lock(mu_);
  return primary_;
}

Status Lessor::renew(int64_t id, RenewResult* out) {
  std::lock_guard lock(mu_);
  if (!primary_) return Status(Error::LeaseNotPrimary);
  auto it = leases_.find(id);
  if (it == leases_.end()) return Status(Error::LeaseNotFound);
  Lease& lease = it->second;
  const TimePoint now = clock_();
  if (lease.expiry <= now) return Status(Error::LeaseExpiring);

  RenewResult result;
  result.ttl = lease.ttl;
  result.clearCheckpoint = config_.checkpointEnabled && lease.remainingTtl > 0;
  // A renewal restarts the full TTL. The checkpointed remainder is applied
  // state, so it is cleared through raft (clearCheckpoint) rather than here;
  // etcd waits for that clear before refreshing, which amounts to this.
  lease.expiry = addSaturating(now, ttlDuration(lease.ttl));
  scheduleExpiryLocked(id, lease.expiry);
  if (out != nullptr) *out = result;
  return Status::ok();
}

std::vector<int64_t> Lessor::expiredLeases(std::size_t limit) {
  std::vector<int64_t> expired;
  std::lock_guard lock(mu_);
  if (!primary_ || limit == 0) return expired;
  const TimePoint now = clock_();
  while (!expiryQueue_.empty() && expired.size() < limit) {
    const auto [due, id] = *expiryQueue_.begin();
    auto it = leases_.find(id);
    if (it == leases_.end()) {
      unscheduleExpiryLocked(id);
      continue;
    }
    if (now < due) break;
    // Look again after the retry interval: if the revoke applied, the lease
    // is gone by then; if it was lost, it is offered again.
    scheduleExpiryLocked(id, addSaturating(now, config_.expiredRetryInterval));
    if (it->second.expiry <= now) expired.push_back(id);
  }
  return expired;
}

std::vector<Checkpoint> Lessor::dueCheckpoints(std::size_t limit) {
  std::vector<Checkpoint> due;
  std::lock_guard lock(mu_);
  if (!primary_ || !config_.checkpointEnabled) return due;
  const TimePoint now = clock_();
  while (!checkpointQueue_.empty() && due.size() < limit) {
    const auto [at, id] = checkpointQueue_.top();
    if (at > now) break;
    checkpointQueue_.pop();
    auto it = leases_.find(id);
    if (it == leases_.end()) continue;
    const Lease& lease = it->second;
    if (!(now < lease.expiry)) continue;  // expired: the revoke is coming
    const int64_t left = std::chrono::ceil<seconds>(lease.expiry - now).count();
    if (left >= lease.ttl) continue;  // nothing worth recording
    due.push_back({id, left});
  }
  return due;
}

std::optional<Lease> Lessor::lookup(int64_t id) const {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return std::nullopt;
  return it->second;
}

bool Lessor::exists(int64_t id) const {
  std::lock_guard lock(mu_);
  return leases_.count(id) != 0;
}

Status Lessor::timeToLive(int64_t id, TimeToLive* out) const {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end()) return Status(Error::LeaseNotFound);
  const Lease& lease = it->second;
  out->grantedTtl = lease.ttl;
  if (lease.expiry == kForever) {
    // etcd: Remaining() is math.MaxInt64 ns, whose whole seconds are this.
    out->remaining = std::numeric_limits<int64_t>::max() / 1'000'000'000;
  } else {
    // duration_cast truncates toward zero, like Go's float -> int64.
    out->remaining = std::chrono::duration_cast<seconds>(lease.expiry - clock_()).count();
  }
  out->keys.assign(lease.keys.begin(), lease.keys.end());
  return Status::ok();
}

std::vector<std::pair<int64_t, int64_t>> Lessor::leases() const {
  std::lock_guard lock(mu_);
  std::vector<const Lease*> byExpiry;
  byExpiry.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) byExpiry.push_back(&lease);
  // std::map iterates by id, so the stable sort breaks expiry ties by id.
  std::stable_sort(byExpiry.begin(), byExpiry.end(),
                   [](const Lease* a, const Lease* b) { return a->expiry < b->expiry; });
  std::vector<std::pair<int64_t, int64_t>> out;
  out.reserve(byExpiry.size());
  for (const Lease* lease : byExpiry) out.emplace_back(lease->id, lease->ttl);
  return out;
}

int64_t Lessor::leaseOf(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = keyLease_.find(key);
  return it == keyLease_.end() ? kNoLease : it->second;
}

std::size_t Lessor::size() const {
  std::lock_guard lock(mu_);
  return leases_.size();
}

void Lessor::refreshLocked(Lease& lease, TimePoint now, nanoseconds extend) {
  lease.expiry = addSaturating(addSaturating(now, extend), ttlDuration(lease.effectiveTtl()));
}

void Lessor::scheduleExpiryLocked(int64_t id, TimePoint at) {
  unscheduleExpiryLocked(id);
  expiryQueue_.emplace(at, id);
  expiryDue_[id] = at;
}

void Lessor::unscheduleExpiryLocked(int64_t id) {
  auto it = expiryDue_.find(id);
  if (it == expiryDue_.end()) return;
  expiryQueue_.erase({it->second, id});
  expiryDue_.erase(it);
}

void Lessor::scheduleCheckpointLocked(const Lease& lease, TimePoint now) {
  if (!config_.checkpointEnabled) return;
  // Only leases that outlive an interval have a remainder worth recording.
  const int64_t intervalSeconds =
      std::chrono::duration_cast<seconds>(config_.checkpointInterval).count();
  if (lease.effectiveTtl() > intervalSeconds) {
    checkpointQueue_.emplace(addSaturating(now, config_.checkpointInterval), lease.id);
  }
}

}  // namespace cairn::lease
