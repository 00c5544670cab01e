#include "event_loop.h"

#include <utility>

namespace cairn::concurrency {

EventLoop::EventLoop(std::chrono::milliseconds tick, Task onTick)
    : tick_(tick), onTick_(std::move(onTick)) {}

EventLoop::~EventLoop() {
  stop();
}

void EventLoop::start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = true;
  }
  thread_ = std::thread([this] { run(); });
}

bool EventLoop::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void EventLoop::stop() {
  std::deque<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  {
    // Destroyed outside the lock: a task's captures may post (and fail).
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(tasks_);
  }
}

void EventLoop::tickBy(std::chrono::steady_clock::time_point when) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (when >= nextTick_) return;
    nextTick_ = when;
  }
  cv_.notify_one();
}

void EventLoop::run() {
  std::unique_lock<std::mutex> lock(mu_);
  nextTick_ = std::chrono::steady_clock::now() + tick_;
  while (running_) {
    if (tasks_.empty()) {
      // Re-evaluated on every wake-up: tickBy may have moved nextTick_ closer.
      const auto until = nextTick_;
      cv_.wait_until(lock, until,
                     [this, until] { return !running_ || !tasks_.empty() || nextTick_ < until; });
    }
    if (!running_) break;
    if (!tasks_.empty()) {
      Task task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // its captures are released outside the lock too
      lock.lock();
    }
    if (std::chrono::steady_clock::now() >= nextTick_) {
      nextTick_ = std::chrono::steady_clock::now() + tick_;
      lock.unlock();
      onTick_();
      lock.lock();
    }
  }
}

}  // namespace cairn::concurrency
