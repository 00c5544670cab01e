#include "apply_chain.h"

#include <memory>

namespace cairn::server {

using etcdserverpb::InternalRaftRequest;

ApplyChain::ApplyChain(const plugin::PluginRegistry& registry, KvApplier& kv, LeaseApplier& leases,
                       Compactor& compactor, mvcc::KvStore& store, storage::Backend& backend,
                       AlarmStore& alarms, BackendQuota& quota, Logger& logger)
    : dispatcher_(logger),
      plugins_(registry, store, backend, logger),
      quota_(quota, dispatcher_),
      auth_(registry.authorizer(), leases.lessor(), quota_),
      alarms_(alarms, store, logger, auth_) {
  addKernelAppliers(kv, leases, compactor);
  addPluginAppliers(registry, logger);
}

void ApplyChain::addKernelAppliers(KvApplier& kv, LeaseApplier& leases, Compactor& compactor) {
  // Each applier makes its typed response; the apply loop fills the
  // header's member fields.
  dispatcher_.add(InternalRaftRequest::kPutFieldNumber,
                  [&kv](const ApplyRequest& r, ApplyOutcome* out) {
                    auto* resp = out->respondWith<etcdserverpb::PutResponse>();
                    out->result.status = kv.put(r.entry.put(), resp, r.index, &out->events);
                  });
  dispatcher_.add(InternalRaftRequest::kDeleteRangeFieldNumber, [&kv](const ApplyRequest& r,
                                                                      ApplyOutcome* out) {
    auto* resp = out->respondWith<etcdserverpb::DeleteRangeResponse>();
    out->result.status = kv.deleteRange(r.entry.delete_range(), resp, r.index, &out->events);
  });
  dispatcher_.add(InternalRaftRequest::kTxnFieldNumber,
                  [&kv](const ApplyRequest& r, ApplyOutcome* out) {
                    auto* resp = out->respondWith<etcdserverpb::TxnResponse>();
                    out->result.status = kv.txn(r.entry.txn(), resp, r.index, &out->events);
                  });
  dispatcher_.add(InternalRaftRequest::kCompactionFieldNumber,
                  [&kv, &compactor](const ApplyRequest& r, ApplyOutcome* out) {
                    auto* resp = out->respondWith<etcdserverpb::CompactionResponse>();
                    out->result.status = kv.compaction(r.entry.compaction(), resp, r.index);
                    if (!out->result.status) return;
                    // The deletion itself runs on the compactor's thread.
                    compactor.wake();
                    out->awaitPhysicalCompaction = r.entry.compaction().physical();
                  });
  dispatcher_.add(InternalRaftRequest::kLeaseGrantFieldNumber,
                  [&leases](const ApplyRequest& r, ApplyOutcome* out) {
                    auto* resp = out->respondWith<etcdserverpb::LeaseGrantResponse>();
                    out->result.status = leases.grant(r.entry.lease_grant(), r.index, resp);
                  });
  dispatcher_.add(InternalRaftRequest::kLeaseRevokeFieldNumber, [&leases](const ApplyRequest& r,
                                                                          ApplyOutcome* out) {
    auto* resp = out->respondWith<etcdserverpb::LeaseRevokeResponse>();
    out->result.status = leases.revoke(r.entry.lease_revoke(), r.index, resp, &out->events);
  });
  dispatcher_.add(InternalRaftRequest::kLeaseCheckpointFieldNumber, [&leases](const ApplyRequest& r,
                                                                              ApplyOutcome* out) {
    auto* resp = out->respondWith<etcdserverpb::LeaseCheckpointResponse>();
    out->result.status = leases.checkpoint(r.entry.lease_checkpoint(), r.index, resp);
  });
}

void ApplyChain::addPluginAppliers(const plugin::PluginRegistry& registry, Logger& logger) {
  auto plugin = [this](const ApplyRequest& r, ApplyOutcome* out) { plugins_.apply(r, out); };
  dispatcher_.add(InternalRaftRequest::kCairnPluginCommandFieldNumber, plugin);
  // etcd's own fields (the auth_* requests) carry the commands of their
  // type, as etcd writes them, when a plugin declared that type.
  const google::protobuf::Descriptor* d = InternalRaftRequest::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->message_type() == nullptr || registry.command(f->message_type()) == nullptr) continue;
    if (!dispatcher_.add(f->number(), plugin)) {
      logger.warn("server/apply_chain.cpp",
                  "a plugin declared a command the kernel applies itself; the kernel's applier "
                  "is kept",
                  jsonField("type", f->message_type()->full_name()));
    }
  }
}

}  // namespace cairn::server
