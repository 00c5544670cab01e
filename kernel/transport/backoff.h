// Backoff: the delay before the next attempt to reach a peer. Doubles from
// `min` to `max` with every failure and starts over after a success, so a
// member that is down costs its peers a dial every `max` at most, and one
// that comes back is reached within about `max`.
#pragma once

#include <algorithm>
#include <chrono>

namespace cairn::transport {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : min_(min), max_(max), next_(min) {}

  // The delay to wait now; the one after it is longer.
  std::chrono::milliseconds next() {
    const auto d = next_;
    next_ = std::min(max_, next_ * 2);
    return d;
  }
  void reset() { next_ = min_; }

 private:
  const std::chrono::milliseconds min_, max_;
  std::chrono::milliseconds next_;
};

}  // namespace cairn::transport
