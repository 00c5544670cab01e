#include "server_events.h"

namespace cairn::server {

// Removes its callback on destruction, under the channel's mutex: a
// callback running on another thread finishes first.
template <typename Fn>
class ServerEvents::Handle final : public Subscription {
 public:
  Handle(std::shared_ptr<Channel<Fn>> channel, uint64_t id)
      : channel_(std::move(channel)), id_(id) {}
  ~Handle() override {
    std::lock_guard lk(channel_->mu);
    channel_->subscribers.erase(id_);
    channel_->count.store(channel_->subscribers.size());
  }

 private:
  std::shared_ptr<Channel<Fn>> channel_;
  const uint64_t id_;
};

ServerEvents::ServerEvents()
    : applied_(std::make_shared<Channel<AppliedFn>>()),
      leadership_(std::make_shared<Channel<LeadershipFn>>()) {}

std::unique_ptr<Subscription> ServerEvents::subscribeApplied(AppliedFn fn) {
  std::lock_guard lk(applied_->mu);
  const uint64_t id = applied_->nextId++;
  applied_->subscribers.emplace(id, std::move(fn));
  applied_->count.store(applied_->subscribers.size());
  return std::make_unique<Handle<AppliedFn>>(applied_, id);
}

std::unique_ptr<Subscription> ServerEvents::subscribeLeadership(LeadershipFn fn) {
  std::lock_guard lk(leadership_->mu);
  const uint64_t id = leadership_->nextId++;
  fn(current_);
  leadership_->subscribers.emplace(id, std::move(fn));
  leadership_->count.store(leadership_->subscribers.size());
  return std::make_unique<Handle<LeadershipFn>>(leadership_, id);
}

void ServerEvents::publishApplied(int64_t revision, const std::vector<mvccpb::Event>& events) {
  if (applied_->count.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lk(applied_->mu);
  for (auto& [_, fn] : applied_->subscribers) fn(revision, events);
}

void ServerEvents::publishLeadership(const Leadership& now) {
  std::lock_guard lk(leadership_->mu);
  current_ = now;
  for (auto& [_, fn] : leadership_->subscribers) fn(now);
}

}  // namespace cairn::server
