// AlarmApplier: the outermost link of the apply chain, etcd's alarm
// appliers in one place:
//
// - Alarm entries (GET, ACTIVATE, DEACTIVATE) are applied here, against the
//   AlarmStore, in the entry's own backend batch (etcd's
//   applierV3backend.Alarm; no permission check at apply time, as etcd).
// - While a CORRUPT alarm is active, Put, DeleteRange, Txn, Compaction,
//   LeaseGrant and LeaseRevoke fail with "etcdserver: corrupt cluster"
//   (etcd's applierV3Corrupt).
// - While a NOSPACE alarm is active, Put, a Txn with puts, and LeaseGrant
//   fail with "etcdserver: mvcc: database space exceeded" (etcd's
//   applierV3Capped); deletes, compaction and everything else pass.
//
// etcd swaps its applier when the first alarm of a type is raised or the
// last one cleared; here the store's flags are read for each entry, which
// is the same decision, and holds after a restart without a swap.
//
// Owner: the apply loop.
#pragma once

#include "alarm_store.h"
#include "applier.h"
#include "cairn/logger.h"
#include "mvcc/kv_store.h"

namespace cairn::server {

class AlarmApplier final : public Applier {
 public:
  AlarmApplier(AlarmStore& alarms, mvcc::KvStore& store, Logger& logger, Applier& next)
      : alarms_(alarms), store_(store), logger_(logger), next_(next) {}

  void apply(const ApplyRequest& req, ApplyOutcome* out) override;

 private:
  void applyAlarm(const ApplyRequest& req, ApplyOutcome* out);

  AlarmStore& alarms_;
  mvcc::KvStore& store_;
  Logger& logger_;
  Applier& next_;
};

}  // namespace cairn::server
