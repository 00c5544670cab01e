#include "member_snapshots.h"

#include <string>

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/member_snapshots.cpp";
// Entries kept in the raft log behind a snapshot so a slightly lagging
// follower catches up by entries rather than by a full snapshot.
constexpr uint64_t kSnapshotCatchUpEntries = 5000;

}  // namespace

void MemberSnapshots::maybeSnapshot(uint64_t applied, const raftpb::ConfState& confState) {
  if (applied - snapshotIndex_ <= options_.snapshotCount) return;
  if (Status st = backend_.sync(); !st) {
    logger_.error(kCaller, "cannot sync backend for snapshot", jsonField("error", st.message()));
    return;
  }
  std::string data;
  if (!backend_.persistent()) {
    Status st = backend_.exportState([&](std::string_view chunk) {
      data.append(chunk);
      return Status::ok();
    });
    if (!st) {
      logger_.error(kCaller, "cannot export backend for snapshot",
                    jsonField("error", st.message()));
      return;
    }
  }
  raftpb::Snapshot snap;
  if (Status st = raftStorage_.createSnapshot(applied, &confState, data, &snap); !st) {
    logger_.error(kCaller, "cannot create snapshot", jsonField("error", st.message()));
    return;
  }
  if (Status st = raft_.saveSnapshot(snap); !st) {
    logger_.error(kCaller, "cannot save snapshot", jsonField("error", st.message()));
    return;
  }
  snapshotIndex_ = applied;
  if (applied > kSnapshotCatchUpEntries) {
    raftStorage_.compact(applied - kSnapshotCatchUpEntries);
  }
  if (Status st = raft_.purgeSnapshots(options_.maxSnapshots); !st) {
    logger_.warn(kCaller, "cannot purge old snapshots", jsonField("error", st.message()));
  }
  logger_.info(kCaller, "saved snapshot",
               jsonField("snapshot-index", static_cast<long long>(applied)));
}

}  // namespace cairn::server
