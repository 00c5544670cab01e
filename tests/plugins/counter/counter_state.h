// CounterState: the plugin's in-memory copy of its bucket, and who watches
// which counter.
//
// Written only by the kernel's apply loop (the Add command's apply handler)
// and by the recover hook before any entry is applied; read by Get and by
// Watch streams on gRPC's threads. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace cairn::counter {

class CounterState {
 public:
  using Listener = std::function<void(int64_t value)>;

  // The value of `name` (0 for a counter never added to).
  int64_t get(const std::string& name) const;
  // Records `value` and tells every listener of `name`, in apply order.
  void set(const std::string& name, int64_t value);
  // Replaces everything (the recover hook), telling no one: no stream is
  // open before the member serves.
  void load(std::map<std::string, int64_t> values);

  // Calls `listener` with the current value of `name` and then with every
  // change, until unsubscribe(). Listeners run under the state's lock (so a
  // value is never missed or reordered between the first call and the
  // changes) and must not block or call back into the state.
  uint64_t subscribe(const std::string& name, Listener listener);
  // After it returns, the listener is not running and never runs again.
  void unsubscribe(uint64_t id);

 private:
  struct Subscriber {
    std::string name;
    Listener listener;
  };

  mutable std::mutex mu_;
  std::map<std::string, int64_t> values_;     // guarded by mu_
  std::map<uint64_t, Subscriber> listeners_;  // guarded by mu_
  uint64_t nextId_ = 1;                       // guarded by mu_
};

}  // namespace cairn::counter
