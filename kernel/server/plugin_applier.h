// PluginApplier: applies the replicated commands plugins declared
// (Registrar::command), whether they travel as cairn_plugin_command or in an
// etcd field such as auth_user_add.
//
// Each command runs in ONE mvcc write transaction, like a KV request: the
// handler reads the state as of the previous entry and adds its writes to
// the transaction's batch, which commits with the entry's consistent index,
// so the plugin's state and the entry survive a crash together or not at
// all (and replayed entries above the consistent index apply again). A
// handler may only write the buckets its plugin declared: a batch touching
// any other bucket is discarded and the command fails.
//
// Owner: the apply loop.
#pragma once

#include "applier.h"
#include "cairn/logger.h"
#include "cairn/storage.h"
#include "mvcc/kv_store.h"
#include "plugin/plugin_registry.h"

namespace cairn::server {

class PluginApplier final : public Applier {
 public:
  PluginApplier(const plugin::PluginRegistry& registry, mvcc::KvStore& store,
                storage::Backend& backend, Logger& logger)
      : registry_(registry), store_(store), backend_(backend), logger_(logger) {}

  void apply(const ApplyRequest& req, ApplyOutcome* out) override;

 private:
  // OK if every op of `batch` is in a bucket `plugin` declared.
  Status checkBuckets(const std::string& plugin, const storage::WriteBatch& batch) const;

  const plugin::PluginRegistry& registry_;  // read-only after seal
  mvcc::KvStore& store_;
  storage::Backend& backend_;
  Logger& logger_;
};

}  // namespace cairn::server
