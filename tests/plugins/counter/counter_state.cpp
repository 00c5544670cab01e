#include "counter_state.h"

namespace cairn::counter {

int64_t CounterState::get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = values_.find(name);
  return it == values_.end() ? 0 : it->second;
}

void CounterState::set(const std::string& name, int64_t value) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[name] = value;
  for (const auto& [id, subscriber] : listeners_) {
    if (subscriber.name == name) subscriber.listener(value);
  }
}

void CounterState::load(std::map<std::string, int64_t> values) {
  std::lock_guard<std::mutex> lock(mu_);
  values_ = std::move(values);
}

uint64_t CounterState::subscribe(const std::string& name, Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = values_.find(name);
  listener(it == values_.end() ? 0 : it->second);
  const uint64_t id = nextId_++;
  listeners_.emplace(id, Subscriber{name, std::move(listener)});
  return id;
}

void CounterState::unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(id);
}

}  // namespace cairn::counter
