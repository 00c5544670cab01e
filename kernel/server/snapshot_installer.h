// SnapshotInstaller: makes a raft snapshot from the leader this member's
// state (etcd's EtcdServer.applySnapshot).
//
// The transport left the leader's backend state, verified and durable, in
// the snapshot's state file (transport/snapshot_file.h). install() imports
// it into the backend (which swaps its state only once the whole stream
// verified), makes it durable, and rebuilds everything derived from the
// backend as a restart does: the MVCC key index and revisions, the lessor
// and key attachments, the alarms, the member records, the plugins' recover
// hooks; watchers resynchronise from the new store (compacted ones are
// canceled with the compact revision, as etcd's). The state may be newer
// than the snapshot's index (the leader exports its current backend): its
// consistent_index tells the apply loop which entries after the snapshot
// it already holds.
//
// Owner: the apply loop. importSnapshotState() also runs in Bootstrap.
#pragma once

#include <string>

#include "alarm_store.h"
#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cairn/storage.h"
#include "lease_applier.h"
#include "member_registry.h"
#include "mvcc/kv_store.h"
#include "plugin/plugin_registry.h"
#include "watch/watch_hub.h"

namespace cairn::server {

// Replaces the backend's state with the state file at `path` (streamed, a
// chunk at a time).
Status importSnapshotState(storage::Backend& backend, const std::string& path);

class SnapshotInstaller {
 public:
  struct Parts {
    Logger& logger;
    storage::Backend& backend;
    mvcc::KvStore& store;
    LeaseApplier& leases;
    AlarmStore& alarms;
    MemberRegistry& members;
    const plugin::PluginRegistry& registry;
    watch::WatchHub& watchHub;
    std::string snapDir;  // member/snap: where the state files are
  };

  explicit SnapshotInstaller(Parts parts) : p_(std::move(parts)) {}

  // `snapshotIndex` and `appliedIndex` are the apply loop's, for the log.
  Status install(const raftpb::Snapshot& snap, uint64_t snapshotIndex, uint64_t appliedIndex);

 private:
  Parts p_;
};

}  // namespace cairn::server
