// ReadGate: holds linearizable reads until the apply loop has caught up with
// the read index raft confirmed for them, then releases them to run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "cairn/status.h"

namespace cairn::server {

class ReadGate {
 public:
  // A read runs with ok once released, or with an error if it never can be.
  using Read = std::function<void(const Status&)>;
  using Dispatch = std::function<void(std::vector<Read>&&)>;

  explicit ReadGate(Dispatch dispatch) : dispatch_(std::move(dispatch)) {}

  // Runs `reads` once applied >= index (immediately if already so).
  void add(uint64_t index, std::vector<Read>&& reads) {
    {
      std::lock_guard lk(mu_);
      if (index > applied_) {
        auto& slot = pending_[index];
        for (auto& r : reads) slot.push_back(std::move(r));
        return;
      }
    }
    dispatch_(std::move(reads));
  }

  // Called by the apply loop after it applied up to `index`.
  void onApplied(uint64_t index) {
    std::vector<Read> ready;
    {
      std::lock_guard lk(mu_);
      applied_ = index;
      auto end = pending_.upper_bound(index);
      for (auto it = pending_.begin(); it != end; ++it) {
        for (auto& r : it->second) ready.push_back(std::move(r));
      }
      pending_.erase(pending_.begin(), end);
    }
    if (!ready.empty()) dispatch_(std::move(ready));
  }

  // Hands back every held read (shutdown).
  std::vector<Read> drain() {
    std::lock_guard lk(mu_);
    std::vector<Read> all;
    for (auto& [_, v] : pending_) {
      for (auto& r : v) all.push_back(std::move(r));
    }
    pending_.clear();
    return all;
  }

 private:
  Dispatch dispatch_;
  std::mutex mu_;
  uint64_t applied_ = 0;                           // guarded by mu_
  std::map<uint64_t, std::vector<Read>> pending_;  // guarded by mu_
};

}  // namespace cairn::server
