// ApplyChain: the member's appliers, assembled. The dispatcher gets the
// kernel's appliers (put, delete_range, txn, compaction, lease_grant,
// lease_revoke, lease_checkpoint), the plugin applier for
// cairn_plugin_command and for every etcd field whose message type a plugin
// declared as a command (e.g. auth_user_add), and the decorators wrap it:
//
//   head() = AuthApplier -> ApplyDispatcher -> {KvApplier, LeaseApplier, PluginApplier}
//
// Quota and alarm checks will wrap the same way, outside AuthApplier.
//
// Owner: built on the starting thread, used on the apply loop only.
#pragma once

#include "apply_dispatcher.h"
#include "auth_applier.h"
#include "cairn/logger.h"
#include "cairn/storage.h"
#include "compactor.h"
#include "kv_applier.h"
#include "lease_applier.h"
#include "mvcc/kv_store.h"
#include "plugin/plugin_registry.h"
#include "plugin_applier.h"

namespace cairn::server {

class ApplyChain {
 public:
  ApplyChain(const plugin::PluginRegistry& registry, KvApplier& kv, LeaseApplier& leases,
             Compactor& compactor, mvcc::KvStore& store, storage::Backend& backend, Logger& logger);
  ApplyChain(const ApplyChain&) = delete;
  ApplyChain& operator=(const ApplyChain&) = delete;

  // The outermost link: every committed request enters here.
  Applier& head() { return auth_; }
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
  AuthApplier auth_;
};

}  // namespace cairn::server
