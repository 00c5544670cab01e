#include "member_snapshots.h"

#include <pthread.h>

#include <string>
#include <utility>

#include "transport/snapshot_file.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/member_snapshots.cpp";

}  // namespace

MemberSnapshots::MemberSnapshots(const ServerOptions& options, Logger& logger,
                                 storage::Backend& backend, raft::MemoryStorage& raftStorage,
                                 RaftNode& raft, uint64_t snapshotIndex)
    : options_(options),
      logger_(logger),
      backend_(backend),
      raftStorage_(raftStorage),
      raft_(raft),
      snapshotIndex_(snapshotIndex) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-snapsave");
    run();
  });
}

void MemberSnapshots::maybeSnapshot(uint64_t applied, const raftpb::ConfState& confState) {
  if (applied - snapshotIndex_.load() <= options_.snapshotCount) return;
  {
    std::lock_guard lk(mu_);
    if (busy_ || stopping_) return;
  }
  Job job{applied, confState, {}};
  if (!backend_.persistent()) {
    Status st = backend_.exportState([&](std::string_view chunk) {
      job.data.append(chunk);
      return Status::ok();
    });
    if (!st) {
      logger_.error(kCaller, "cannot export backend for snapshot",
                    jsonField("error", st.message()));
      return;
    }
  }
  {
    std::lock_guard lk(mu_);
    job_ = std::move(job);
    busy_ = true;
  }
  wake_.notify_one();
}

void MemberSnapshots::waitIdle() {
  std::unique_lock lk(mu_);
  idle_.wait(lk, [this] { return !busy_; });
}

void MemberSnapshots::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void MemberSnapshots::run() {
  std::unique_lock lk(mu_);
  for (;;) {
    wake_.wait(lk, [this] { return stopping_ || job_.has_value(); });
    // A job handed over before stop is still taken: the apply loop counted
    // on it, and the WAL and the backend stay open until stop() returns.
    if (!job_) return;
    Job job = std::move(*job_);
    job_.reset();
    lk.unlock();
    take(job);
    lk.lock();
    busy_ = false;
    idle_.notify_all();
  }
}

void MemberSnapshots::take(const Job& job) {
  if (backend_.persistent()) {
    if (Status st = backend_.sync(); !st) {
      logger_.error(kCaller, "cannot sync backend for snapshot", jsonField("error", st.message()));
      return;
    }
  }
  raftpb::Snapshot snap;
  if (Status st = raftStorage_.createSnapshot(job.applied, &job.confState, job.data, &snap); !st) {
    logger_.error(kCaller, "cannot create snapshot", jsonField("error", st.message()));
    return;
  }
  if (Status st = raft_.saveSnapshot(snap); !st) {
    logger_.error(kCaller, "cannot save snapshot", jsonField("error", st.message()));
    return;
  }
  snapshotIndex_.store(job.applied);
  // A leader's snapshot state kept for a restart is superseded now.
  transport::purgeSnapshotStateFiles(options_.dataDir + "/member/snap", job.applied);
  if (job.applied > options_.snapshotCatchUpEntries) {
    raftStorage_.compact(job.applied - options_.snapshotCatchUpEntries);
  }
  if (Status st = raft_.purgeSnapshots(options_.maxSnapshots); !st) {
    logger_.warn(kCaller, "cannot purge old snapshots", jsonField("error", st.message()));
  }
  logger_.info(kCaller, "saved snapshot",
               jsonField("snapshot-index", static_cast<long long>(job.applied)));
}

}  // namespace cairn::server
