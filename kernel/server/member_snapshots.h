// MemberSnapshots: every --snapshot-count applied entries, a raft snapshot
// (backend state + membership) so the raft log and the WAL can be released.
// The backend is synced first, because the snapshot stands in for the log
// up to the applied index; a non-persistent backend ships its whole state
// inside the snapshot file instead. --experimental-snapshot-catchup-entries
// (5,000) entries stay in raft's memory behind it so a slightly lagging
// follower catches up by entries; one further behind gets the snapshot (with
// the backend's state, sent by the transport). A snapshot's state file
// received from a leader is removed once a later snapshot replaces it.
//
// Owner: the apply loop (maybeSnapshot runs between batches of entries).
#pragma once

#include <cstdint>

#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cairn/storage.h"
#include "raft/memory_storage.h"
#include "raft_node.h"
#include "server_options.h"

namespace cairn::server {

class MemberSnapshots {
 public:
  MemberSnapshots(const ServerOptions& options, Logger& logger, storage::Backend& backend,
                  raft::MemoryStorage& raftStorage, RaftNode& raft, uint64_t snapshotIndex)
      : options_(options),
        logger_(logger),
        backend_(backend),
        raftStorage_(raftStorage),
        raft_(raft),
        snapshotIndex_(snapshotIndex) {}

  // Snapshots at `applied` if --snapshot-count entries passed since the last.
  void maybeSnapshot(uint64_t applied, const raftpb::ConfState& confState);
  // The leader's snapshot at `index` was installed: the next one is due
  // --snapshot-count entries after it.
  void installed(uint64_t index) { snapshotIndex_ = index; }
  uint64_t snapshotIndex() const { return snapshotIndex_; }

 private:
  const ServerOptions& options_;
  Logger& logger_;
  storage::Backend& backend_;
  raft::MemoryStorage& raftStorage_;  // internally synchronised
  RaftNode& raft_;                    // snapshot files and WAL marks
  uint64_t snapshotIndex_;            // apply loop only
};

}  // namespace cairn::server
