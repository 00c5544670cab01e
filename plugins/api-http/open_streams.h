// OpenStreams: the gateway's live streaming calls, so stopping the server
// can close them all (no kernel callback reaches a stream's connection
// after that) before the connections themselves are torn down.
#pragma once

#include <mutex>
#include <unordered_set>

#include "cairn/service.h"

namespace cairn::apihttp {

class OpenStreams {
 public:
  void add(StreamCall* call) {
    std::lock_guard lk(mu_);
    calls_.insert(call);
  }
  // After it returns, closeAll() no longer touches `call`.
  void remove(StreamCall* call) {
    std::lock_guard lk(mu_);
    calls_.erase(call);
  }
  void closeAll() {
    std::lock_guard lk(mu_);
    for (StreamCall* call : calls_) call->close();
  }

 private:
  std::mutex mu_;
  std::unordered_set<StreamCall*> calls_;  // guarded by mu_
};

}  // namespace cairn::apihttp
