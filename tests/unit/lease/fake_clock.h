// A manually advanced clock for the lessor tests.
#pragma once

#include <chrono>
#include <memory>

#include "lease/lessor.h"

namespace cairn::lease::test {

class FakeClock {
 public:
  // Starts well away from the epoch so "now - x" stays meaningful.
  FakeClock() : now_(std::make_shared<TimePoint>(TimePoint() + std::chrono::hours(1000))) {}

  Clock clock() const {
    return [now = now_] { return *now; };
  }
  TimePoint now() const { return *now_; }
  void advance(std::chrono::nanoseconds d) { *now_ += d; }

 private:
  std::shared_ptr<TimePoint> now_;
};

}  // namespace cairn::lease::test
