#include "lease_applier.h"

#include <memory>
#include <string>

#include "fatal.h"
#include "lease/lease.h"
#include "mvcc/write_txn.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/lease_applier.cpp";
// Live keys read per page when re-attaching keys to leases at startup.
constexpr int64_t kLeaseRecoveryPage = 1000;

// The lessor's applied state and the store must never diverge: a lease
// change that cannot be committed stops the member (as etcd panics), and the
// restart rebuilds both from the backend.
void commitOrDie(Logger& logger, mvcc::WriteTxn& txn, uint64_t index, const char* what) {
  if (Status st = txn.end(index); !st) {
    fatal(logger, kCaller, "cannot commit a lease change",
          jsonField("request", what) + "," + jsonField("error", st.message()));
  }
}

}  // namespace

Status LeaseApplier::grant(const etcdserverpb::LeaseGrantRequest& req, uint64_t index,
                           etcdserverpb::LeaseGrantResponse* resp) {
  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  lease::Lease granted;
  if (Status st = lessor_.grant(req.id(), req.ttl(), txn->batch(), &granted); !st) return st;
  commitOrDie(logger_, *txn, index, "lease grant");
  resp->set_id(granted.id);
  resp->set_ttl(granted.ttl);
  resp->mutable_header()->set_revision(store_.currentRevision());
  return Status::ok();
}

Status LeaseApplier::revoke(const etcdserverpb::LeaseRevokeRequest& req, uint64_t index,
                            etcdserverpb::LeaseRevokeResponse* resp,
                            std::vector<mvccpb::Event>* events) {
  // The attached keys are deleted in the same write transaction as the lease
  // record: one revision, one backend commit, as etcd's Revoke does.
  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  std::vector<std::string> keys;
  if (Status st = lessor_.revoke(req.id(), txn->batch(), &keys); !st) return st;
  for (const auto& key : keys) {
    int64_t deleted = 0;
    int64_t rev = 0;
    if (Status st = txn->deleteRange(key, "", &deleted, &rev); !st) {
      fatal(logger_, kCaller, "cannot delete a revoked lease's key",
            jsonField("error", st.message()));
    }
  }
  commitOrDie(logger_, *txn, index, "lease revoke");
  txn->moveEventsTo(events);
  resp->mutable_header()->set_revision(store_.currentRevision());
  return Status::ok();
}

Status LeaseApplier::checkpoint(const etcdserverpb::LeaseCheckpointRequest& req, uint64_t index,
                                etcdserverpb::LeaseCheckpointResponse* resp) {
  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  for (const auto& cp : req.checkpoints()) {
    lessor_.applyCheckpoint(cp.id(), cp.remaining_ttl(), txn->batch());
  }
  commitOrDie(logger_, *txn, index, "lease checkpoint");
  resp->mutable_header()->set_revision(store_.currentRevision());
  return Status::ok();
}

void LeaseApplier::followEvents(const std::vector<mvccpb::Event>& events) {
  for (const auto& ev : events) {
    if (ev.type() == mvccpb::Event::PUT) {
      // A PUT event carries no prev_kv: the lessor knows the key's lease
      // (a key created by this put has none yet).
      const bool created =
          ev.kv().create_revision() == ev.kv().mod_revision() && ev.kv().version() == 1;
      const int64_t before = created ? lease::kNoLease : lessor_.leaseOf(ev.kv().key());
      const int64_t now = ev.kv().lease();
      // Unknown leases were refused before the write; a lease revoked in this
      // very transaction no longer holds the key: errors mean nothing to undo.
      if (before != lease::kNoLease && before != now) (void)lessor_.detach(before, ev.kv().key());
      if (now != lease::kNoLease) (void)lessor_.attach(now, ev.kv().key());
    } else if (ev.has_prev_kv() && ev.prev_kv().lease() != lease::kNoLease) {
      (void)lessor_.detach(ev.prev_kv().lease(), ev.kv().key());
    }
  }
}

Status LeaseApplier::recover(storage::Backend& backend) {
  {
    std::unique_ptr<storage::ReadTxn> txn = backend.beginRead();
    if (Status st = lessor_.recover(*txn); !st) {
      return Status(st.code(), "cannot recover leases: " + st.message());
    }
  }
  // Attachments are not stored with the leases; every live key names its
  // lease, so they are rebuilt from the keys (as etcd's store restore does).
  std::string from(1, '\0');
  const std::string end(1, '\0');
  std::size_t attached = 0;
  for (;;) {
    mvcc::RangeOptions o;
    o.limit = kLeaseRecoveryPage;
    mvcc::RangeResult rr;
    if (Status st = store_.range(from, end, o, &rr); !st) return st;
    for (const auto& kv : rr.kvs) {
      if (kv.lease() == lease::kNoLease) continue;
      if (Status st = lessor_.attach(kv.lease(), kv.key()); !st) {
        logger_.error(kCaller, "key names a lease that does not exist; left unattached",
                      jsonField("key", kv.key()) + "," +
                          jsonField("lease-id", static_cast<long long>(kv.lease())));
      } else {
        ++attached;
      }
    }
    if (static_cast<int64_t>(rr.kvs.size()) < kLeaseRecoveryPage) break;
    from = rr.kvs.back().key() + std::string(1, '\0');
  }
  if (lessor_.size() > 0) {
    logger_.info(kCaller, "recovered leases",
                 jsonField("leases", static_cast<long long>(lessor_.size())) + "," +
                     jsonField("attached-keys", static_cast<long long>(attached)));
  }
  return Status::ok();
}

}  // namespace cairn::server
