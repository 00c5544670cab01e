// QuotaApplier: etcd's quotaApplierV3, between AuthApplier and the
// dispatcher. A Put, Txn or LeaseGrant that does not fit the backend quota
// when it is applied is still applied (every member applies the same
// entries), but answers "etcdserver: mvcc: database space exceeded"; the
// apply loop then raises the NOSPACE alarm (QuotaAlarmer) before it answers.
//
// Owner: the apply loop.
#pragma once

#include "applier.h"
#include "backend_quota.h"

namespace cairn::server {

class QuotaApplier final : public Applier {
 public:
  QuotaApplier(BackendQuota& quota, Applier& next) : quota_(quota), next_(next) {}

  void apply(const ApplyRequest& req, ApplyOutcome* out) override;

 private:
  BackendQuota& quota_;  // charged with each applied write
  Applier& next_;
};

}  // namespace cairn::server
