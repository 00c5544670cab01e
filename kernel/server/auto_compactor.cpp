#include "auto_compactor.h"

#include <pthread.h>

#include "cairn/errors.h"
#include "config/go_values.h"

namespace cairn::server {
namespace {}  // namespace

void AutoCompactor::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-autocomp");
    loop();
  });
}

void AutoCompactor::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string AutoCompactor::fields(int64_t rev) const {
  std::string f = jsonField("revision", static_cast<long long>(rev)) + ",";
  if (schedule_.mode() == AutoCompactionSchedule::Mode::Periodic) {
    return f + jsonField("compact-period", config::formatGoDuration(schedule_.retention()));
  }
  return f +
         jsonField("revision-compaction-retention", static_cast<long long>(schedule_.retention()));
}

void AutoCompactor::loop() {
  for (;;) {
    schedule_.beginRound(hooks_.currentRevision());
    {
      std::unique_lock lk(mu_);
      if (cv_.wait_for(lk, schedule_.interval(), [this] { return stop_; })) return;
    }
    const std::optional<int64_t> rev = schedule_.due(std::chrono::steady_clock::now(),
                                                     hooks_.currentRevision(), !hooks_.isLeader());
    if (rev) compact(*rev);
  }
}

void AutoCompactor::compact(int64_t rev) {
  const bool periodic = schedule_.mode() == AutoCompactionSchedule::Mode::Periodic;
  const char* what = periodic ? "periodic" : "revision";
  const char* kCaller = periodic ? "v3compactor/periodic.go" : "v3compactor/revision.go";
  logger_.info(kCaller, std::string("starting auto ") + what + " compaction", fields(rev));
  const auto began = std::chrono::steady_clock::now();
  Status st = hooks_.compact(rev, [this] {
    std::lock_guard lk(mu_);
    return stop_;
  });
  const bool ok = st || st.is(Error::Compacted);
  const auto now = std::chrono::steady_clock::now();
  if (ok) {
    const int64_t took = std::chrono::duration_cast<std::chrono::nanoseconds>(now - began).count();
    logger_.info(kCaller, std::string("completed auto ") + what + " compaction",
                 fields(rev) + "," + jsonField("took", config::formatGoDuration(took)));
  } else {
    logger_.warn(
        kCaller, std::string("failed auto ") + what + " compaction",
        fields(rev) + "," +
            jsonField("retry-interval", config::formatGoDuration(schedule_.interval().count())) +
            "," + jsonField("error", st.message()));
  }
  schedule_.finished(rev, ok, now);
}

}  // namespace cairn::server
