#include "promote_forwarder.h"

#include <pthread.h>

#include <algorithm>

#include "cairn/errors.h"

namespace cairn::server {

void PromoteForwarder::forward(uint64_t memberId, Done done) {
  {
    std::lock_guard lk(mu_);
    if (!stopping_) {
      queue_.emplace_back(memberId, std::move(done));
      if (!thread_.joinable()) {
        thread_ = std::thread([this] {
          pthread_setname_np(pthread_self(), "cairn-promote");
          loop();
        });
      }
      wake_.notify_all();
      return;
    }
  }
  done(Status(Error::Stopped), {});
}

void PromoteForwarder::stop() {
  std::thread thread;
  std::deque<std::pair<uint64_t, Done>> left;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    thread.swap(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
  {
    std::lock_guard lk(mu_);
    left.swap(queue_);
  }
  for (auto& [_, done] : left) done(Status(Error::Stopped), {});
}

void PromoteForwarder::loop() {
  for (;;) {
    std::pair<uint64_t, Done> next;
    {
      std::unique_lock lk(mu_);
      wake_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string response;
    Status st = forwardNow(next.first, &response);
    next.second(st, std::move(response));
  }
}

bool PromoteForwarder::pause(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  return !wake_.wait_for(lk, d, [this] { return stopping_; });
}

Status PromoteForwarder::forwardNow(uint64_t memberId, std::string* response) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + parts_.requestTimeout;
  // Rounded up, so that nothing ends before the deadline.
  auto left = [&] { return std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()); };
  while (left().count() > 0) {
    // etcd's waitLeader: looks again every election timeout.
    uint64_t leader = parts_.leader();
    while (leader == 0) {
      if (left().count() <= 0) return Status(Error::NoLeader);
      if (!pause(std::min(parts_.electionTimeout, left()))) return Status(Error::Stopped);
      leader = parts_.leader();
    }
    const std::vector<std::string> urls = parts_.peerUrlsOf(leader);
    if (urls.empty()) return Status(Error::NoLeader);
    for (const std::string& url : urls) {
      if (left().count() <= 0) break;
      Status st = parts_.transport->askPromote(leader, url, memberId, left(), response);
      if (st) return st;
      // The leader's final word; anything else is asked again.
      if (st.is(Error::LearnerNotReady) || st.is(Error::MemberNotFound) ||
          st.is(Error::MemberNotLearner)) {
        return st;
      }
    }
    if (!pause(std::min(parts_.retryInterval, std::max(left(), std::chrono::milliseconds(0))))) {
      return Status(Error::Stopped);
    }
  }
  return Status(Error::Timeout);
}

}  // namespace cairn::server
