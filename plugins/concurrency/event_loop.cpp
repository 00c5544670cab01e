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

void EventLoop::run() {
  auto nextTick = std::chrono::steady_clock::now() + tick_;
  std::unique_lock<std::mutex> lock(mu_);
  while (running_) {
    if (tasks_.empty()) {
      cv_.wait_until(lock, nextTick, [this] { return !running_ || !tasks_.empty(); });
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
    if (std::chrono::steady_clock::now() >= nextTick) {
      lock.unlock();
      onTick_();
      lock.lock();
      nextTick = std::chrono::steady_clock::now() + tick_;
    }
  }
}

}  // namespace cairn::concurrency
