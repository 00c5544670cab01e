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
// The snapshot is taken on a thread of its own (cairn-snapsave), not on the
// apply loop: the backend's sync (a WiredTiger checkpoint with its
// fdatasync, 11-16 ms here) and the release of the raft log's prefix stopped
// every write for 20-72 ms per snapshot. The apply loop only decides that one is
// due and hands over the index and the membership as of that index (and, for
// a non-persistent backend, its exported state, which must be read before
// the next batch changes it). A sync started after those batches'
// commit() returned covers them (storage.h), so the snapshot still never
// stands in for entries the backend could lose. One snapshot at a time: one
// falling due while another is being taken waits for the next batch after
// it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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
                  raft::MemoryStorage& raftStorage, RaftNode& raft, uint64_t snapshotIndex);
  ~MemberSnapshots() { stop(); }
  MemberSnapshots(const MemberSnapshots&) = delete;
  MemberSnapshots& operator=(const MemberSnapshots&) = delete;

  // Apply loop, after each batch: hands a snapshot at `applied` to the
  // snapshot thread if --snapshot-count entries passed since the last one
  // and none is being taken.
  void maybeSnapshot(uint64_t applied, const raftpb::ConfState& confState);
  // Apply loop, before a leader's snapshot is installed: returns once no
  // snapshot of this member's is being taken (both write the snapshot dir,
  // the WAL marks and raft's storage).
  void waitIdle();
  // The leader's snapshot at `index` was installed: the next one is due
  // --snapshot-count entries after it.
  void installed(uint64_t index) { snapshotIndex_.store(index); }
  // The index of the last snapshot saved or installed.
  uint64_t snapshotIndex() const { return snapshotIndex_.load(); }
  // Finishes the snapshot handed over, if any, and joins the thread. The
  // apply loop has stopped; the WAL and the backend are still open.
  void stop();

 private:
  struct Job {
    uint64_t applied = 0;
    raftpb::ConfState confState;
    std::string data;  // a non-persistent backend's state
  };

  void run();                 // the snapshot thread
  void take(const Job& job);  // the snapshot thread

  const ServerOptions& options_;
  Logger& logger_;
  storage::Backend& backend_;            // sync() from the snapshot thread (storage.h)
  raft::MemoryStorage& raftStorage_;     // internally synchronised
  RaftNode& raft_;                       // snapshot files and WAL marks, under its walMu_
  std::atomic<uint64_t> snapshotIndex_;  // written by the snapshot thread or installed()

  std::mutex mu_;
  std::condition_variable wake_;  // a job or stop, for the snapshot thread
  std::condition_variable idle_;  // busy_ cleared, for waitIdle()
  std::optional<Job> job_;        // guarded by mu_: handed over, not yet taken
  bool busy_ = false;             // guarded by mu_: a job handed over and not finished
  bool stopping_ = false;         // guarded by mu_
  std::thread thread_;            // started by the constructor, joined by stop()
};

}  // namespace cairn::server
