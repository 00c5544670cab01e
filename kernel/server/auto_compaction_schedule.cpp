#include "auto_compaction_schedule.h"

#include <algorithm>

namespace cairn::server {
namespace {

constexpr std::chrono::nanoseconds kHour = std::chrono::hours(1);
constexpr int64_t kRetryDivisor = 10;
constexpr std::chrono::nanoseconds kRevisionInterval = std::chrono::minutes(5);

}  // namespace

AutoCompactionSchedule::AutoCompactionSchedule(Mode mode, int64_t retention, TimePoint start)
    : mode_(mode), retention_(retention), lastSuccess_(start), base_(retention) {}

std::chrono::nanoseconds AutoCompactionSchedule::compactInterval() const {
  return std::min(std::chrono::nanoseconds(retention_), kHour);
}

std::chrono::nanoseconds AutoCompactionSchedule::interval() const {
  if (mode_ == Mode::Revision) return kRevisionInterval;
  return compactInterval() / kRetryDivisor;
}

void AutoCompactionSchedule::beginRound(int64_t currentRev) {
  if (mode_ != Mode::Periodic) return;
  revs_.push_back(currentRev);
  const auto step = interval().count();
  const std::size_t keep = static_cast<std::size_t>(step > 0 ? retention_ / step + 1 : 1);
  while (revs_.size() > keep) revs_.pop_front();
}

std::optional<int64_t> AutoCompactionSchedule::due(TimePoint now, int64_t currentRev, bool paused) {
  if (paused) return std::nullopt;
  if (mode_ == Mode::Revision) {
    const int64_t rev = currentRev - retention_;
    if (rev <= 0 || rev == prev_) return std::nullopt;
    return rev;
  }
  if (now - lastSuccess_ < base_) return std::nullopt;
  // After the first full period, compactions follow each other at most an
  // hour apart.
  if (base_ == std::chrono::nanoseconds(retention_)) base_ = compactInterval();
  return revs_.front();
}

void AutoCompactionSchedule::finished(int64_t rev, bool ok, TimePoint now) {
  if (!ok) return;
  if (mode_ == Mode::Revision) {
    prev_ = rev;
  } else {
    lastSuccess_ = now;
  }
}

}  // namespace cairn::server
