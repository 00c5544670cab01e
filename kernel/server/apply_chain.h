// ApplyChain: the member's appliers, assembled. The dispatcher gets the
// kernel's appliers (put, delete_range, txn, compaction, lease_grant,
// lease_revoke, lease_checkpoint), the plugin applier for
// cairn_plugin_command and for every etcd field whose message type a plugin
// declared as a command (e.g. auth_user_add), and the decorators wrap it:
//
//   head() = AlarmApplier -> AuthApplier -> QuotaApplier -> ApplyDispatcher
//            -> {KvApplier, LeaseApplier, PluginApplier}
//
// as etcd nests its appliers (capped/corrupt outside auth, quota inside).
//
// Owner: built on the starting thread, used on the apply loop only.
#pragma once

#include "alarm_applier.h"
#include "alarm_store.h"
#include "apply_dispatcher.h"
#include "auth_applier.h"
#include "backend_quota.h"
#include "cairn/logger.h"
#include "cairn/storage.h"
#include "compactor.h"
#include "kv_applier.h"
#include "lease_applier.h"
#include "mvcc/kv_store.h"
#include "plugin/plugin_registry.h"
#include "plugin_applier.h"
#include "quota_applier.h"

namespace cairn::server {

class ApplyChain {
 public:
  ApplyChain(const plugin::PluginRegistry& registry, KvApplier& kv, LeaseApplier& leases,
             Compactor& compactor, mvcc::KvStore& store, storage::Backend& backend,
             AlarmStore& alarms, BackendQuota& quota, Logger& logger);
  ApplyChain(const ApplyChain&) = delete;
  ApplyChain& operator=(const ApplyChain&) = delete;

  // The outermost link: every committed request enters here.
  Applier& head() { return alarms_; }
  // Another kernel applier (membership's v2 publish) for requests carried
  // in `fieldNumber`; false if that field has one already.
  bool addApplier(int fieldNumber, ApplyDispatcher::Handler handler) {
    return dispatcher_.add(fieldNumber, std::move(handler));
  }

 private:
  void addKernelAppliers(KvApplier& kv, LeaseApplier& leases, Compactor& compactor);
  void addPluginAppliers(const plugin::PluginRegistry& registry, Logger& logger);

  ApplyDispatcher dispatcher_;
  PluginApplier plugins_;
  QuotaApplier quota_;
  AuthApplier auth_;
  AlarmApplier alarms_;
};

}  // namespace cairn::server
