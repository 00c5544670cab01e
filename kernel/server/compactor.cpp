#include "compactor.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "cairn/errors.h"

namespace cairn::server {

void Compactor::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-compact");
    loop();
  });
}

void Compactor::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::pair<ApplyDone, ApplyResult>> waiting;
  {
    std::lock_guard lk(mu_);
    waiting.swap(waiting_);
  }
  for (auto& [done, result] : waiting) done(ApplyResult{Status(Error::Stopped), nullptr});
}

void Compactor::wake() {
  std::lock_guard lk(mu_);
  cv_.notify_one();
}

void Compactor::waitPhysical(ApplyDone done, ApplyResult result) {
  {
    std::lock_guard lk(mu_);
    if (!stop_) {
      waiting_.emplace_back(std::move(done), std::move(result));
      cv_.notify_one();
      return;
    }
  }
  done(ApplyResult{Status(Error::Stopped), nullptr});
}

void Compactor::loop() {
  // etcd's pacing: batches of the store's batch limit, 10 ms apart, so reads
  // and writes keep the backend between batches.
  constexpr auto kPause = std::chrono::milliseconds(10);
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || store_.hasPendingCompactions() || !waiting_.empty(); });
    if (stop_) return;
    lk.unlock();
    bool finished = !store_.hasPendingCompactions();
    while (!finished) {
      if (Status st = store_.runPendingCompactions(1, &finished); !st) {
        logger_.error("server/compactor.cpp", "physical compaction failed; retrying",
                      jsonField("error", st.message()));
        finished = false;
        std::this_thread::sleep_for(std::chrono::seconds(1));
      } else if (!finished) {
        std::this_thread::sleep_for(kPause);
      }
      std::lock_guard stopLk(mu_);
      if (stop_) return;
    }
    lk.lock();
    // Scheduling happens before a reply is queued, so with nothing pending
    // every queued reply's compaction is done.
    if (!store_.hasPendingCompactions()) {
      for (auto& [done, result] : waiting_) {
        boost::asio::post(replies_, [done = std::move(done), result = std::move(result)]() mutable {
          done(std::move(result));
        });
      }
      waiting_.clear();
    }
  }
}

}  // namespace cairn::server
