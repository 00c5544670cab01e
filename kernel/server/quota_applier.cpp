#include "quota_applier.h"

#include "cairn/errors.h"

namespace cairn::server {

void QuotaApplier::apply(const ApplyRequest& req, ApplyOutcome* out) {
  const etcdserverpb::InternalRaftRequest& e = req.entry;
  const bool costly = e.has_put() || e.has_txn() || e.has_lease_grant();
  const bool fits = !costly || req.request == nullptr || quota_.available(*req.request);
  next_.apply(req, out);
  if (costly && req.request != nullptr && out->result.status) quota_.charge(*req.request);
  if (!fits && out->result.status) out->result.status = Status(Error::NoSpace);
}

}  // namespace cairn::server
