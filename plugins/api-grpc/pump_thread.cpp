#include "pump_thread.h"

#include <pthread.h>

#include <utility>

namespace cairn::api {

PumpThread::PumpThread() : thread_([this] { run(); }) {}

PumpThread::~PumpThread() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  // The last reference may be dropped by work running on the thread itself
  // (a post that raced GrpcServer::stop): it ends after that work.
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void PumpThread::post(std::function<void()> fn) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
    wake = sleeping_;
    sleeping_ = false;
  }
  if (wake) wake_.notify_one();
}

void PumpThread::run() {
  pthread_setname_np(pthread_self(), "cairn-grpc-pump");
  std::vector<std::function<void()>> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      while (queue_.empty() && !stopping_) {
        sleeping_ = true;
        wake_.wait(lock);
      }
      sleeping_ = false;
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
    }
    for (auto& fn : batch) fn();
    batch.clear();
  }
}

}  // namespace cairn::api
