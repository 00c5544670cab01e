#include "snapshot_installer.h"

#include <unistd.h>

#include "transport/snapshot_file.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "etcdserver/server.go";

}  // namespace

Status importSnapshotState(storage::Backend& backend, const std::string& path) {
  transport::SnapshotFileReader reader(path);
  if (Status st = reader.open(); !st) return st;
  Status st = backend.importState([&](std::string& chunk) { return reader.next(chunk); });
  if (!reader.status()) return reader.status();
  return st;
}

Status SnapshotInstaller::install(const raftpb::Snapshot& snap, uint64_t snapshotIndex,
                                  uint64_t appliedIndex) {
  const uint64_t index = snap.metadata().index();
  const std::string fields =
      jsonField("current-snapshot-index", static_cast<long long>(snapshotIndex)) + "," +
      jsonField("current-applied-index", static_cast<long long>(appliedIndex)) + "," +
      jsonField("incoming-leader-snapshot-index", static_cast<long long>(index)) + "," +
      jsonField("incoming-leader-snapshot-term", static_cast<long long>(snap.metadata().term()));
  p_.logger.info(kCaller, "applying snapshot", fields);

  const std::string path = transport::snapshotStatePath(p_.snapDir, snap.metadata().term(), index);
  if (Status st = importSnapshotState(p_.backend, path); !st) {
    return Status(st.code(), "failed to open snapshot backend: " + st.message());
  }
  if (Status st = p_.backend.sync(); !st) return st;

  p_.logger.info(kCaller, "restoring mvcc store");
  if (Status st = p_.store.restore(); !st) {
    return Status(st.code(), "failed to restore mvcc store: " + st.message());
  }
  if (p_.store.consistentIndex() < index) {
    return Status(StatusCode::DataLoss, "the snapshot's state is at index " +
                                            std::to_string(p_.store.consistentIndex()) +
                                            ", behind the snapshot at " + std::to_string(index));
  }
  p_.logger.info(kCaller, "restored mvcc store",
                 jsonField("consistent-index", static_cast<long long>(p_.store.consistentIndex())));

  // After the store: attachments are rebuilt from its keys.
  p_.logger.info(kCaller, "restoring lease store");
  if (Status st = p_.leases.recover(p_.backend); !st) return st;
  p_.logger.info(kCaller, "restored lease store");

  std::unique_ptr<storage::ReadTxn> read = p_.backend.beginRead();
  p_.logger.info(kCaller, "restoring alarm store");
  if (Status st = p_.alarms.load(*read); !st) return st;
  p_.logger.info(kCaller, "restored alarm store");
  p_.logger.info(kCaller, "restoring cluster configuration");
  if (Status st = p_.members.load(*read); !st) return st;
  p_.logger.info(kCaller, "restored cluster configuration");
  for (const auto& hook : p_.registry.recoverHooks()) {
    if (Status st = hook(*read); !st) return st;
  }
  read.reset();

  // etcd's watchableStore.Restore: every synced watcher catches up from the
  // new store's history, or is canceled if that was compacted past it.
  p_.watchHub.reset(p_.store.currentRevision());

  // A persistent backend holds the state now; the memory backend restarts
  // from this file until a later snapshot of its own carries its state.
  if (p_.backend.persistent()) ::unlink(path.c_str());
  p_.logger.info(kCaller, "applied snapshot", fields);
  return Status::ok();
}

}  // namespace cairn::server
