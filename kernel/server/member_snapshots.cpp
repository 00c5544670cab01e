#include "member_snapshots.h"

#include <string>

#include "transport/snapshot_file.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/member_snapshots.cpp";

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
  // A leader's snapshot state kept for a restart is superseded now.
  transport::purgeSnapshotStateFiles(options_.dataDir + "/member/snap", applied);
  if (applied > options_.snapshotCatchUpEntries) {
    raftStorage_.compact(applied - options_.snapshotCatchUpEntries);
  }
  if (Status st = raft_.purgeSnapshots(options_.maxSnapshots); !st) {
    logger_.warn(kCaller, "cannot purge old snapshots", jsonField("error", st.message()));
  }
  logger_.info(kCaller, "saved snapshot",
               jsonField("snapshot-index", static_cast<long long>(applied)));
}

}  // namespace cairn::server
