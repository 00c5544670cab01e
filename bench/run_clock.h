#pragma once

#include <chrono>
#include <cstdint>

namespace cairn::bench {

// Microseconds since the start of a run on the steady clock: one time base
// for write send/ack times and event receipt times across threads.
class RunClock {
 public:
  using Clock = std::chrono::steady_clock;

  RunClock() : epoch_(Clock::now()) {}

  std::int64_t micros() const { return toMicros(Clock::now()); }
  std::int64_t toMicros(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::microseconds>(t - epoch_).count();
  }
  Clock::time_point at(std::int64_t micros) const {
    return epoch_ + std::chrono::microseconds(micros);
  }

 private:
  const Clock::time_point epoch_;
};

}  // namespace cairn::bench
