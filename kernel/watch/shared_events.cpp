#include "watch/shared_events.h"

#include <memory>
#include <utility>

namespace cairn::watch {

SharedEvents::SharedEvents(std::vector<mvccpb::Event> evs, bool prev)
    : events(std::move(evs)), withPrev(prev) {
  bytes.reserve(events.size());
  for (const mvccpb::Event& e : events) bytes.push_back(e.ByteSizeLong());
}

SharedEvents::~SharedEvents() {
  for (auto& slot : encoded_) delete slot.load(std::memory_order_acquire);
}

const EncodedEvents& SharedEvents::encoded(bool prevKv) const {
  std::atomic<const EncodedEvents*>& slot = encoded_[prevKv ? 1 : 0];
  if (const EncodedEvents* built = slot.load(std::memory_order_acquire)) return *built;
  auto made = std::make_unique<EncodedEvents>();
  std::size_t total = 0;
  for (std::size_t b : bytes) total += b;
  made->data.reserve(total);
  made->ends.reserve(events.size());
  for (const mvccpb::Event& e : events) {
    if (prevKv || !e.has_prev_kv()) {
      e.AppendToString(&made->data);
    } else {
      mvccpb::Event bare = e;
      bare.clear_prev_kv();
      bare.AppendToString(&made->data);
    }
    made->ends.push_back(made->data.size());
  }
  const EncodedEvents* expected = nullptr;
  if (slot.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
    return *made.release();
  }
  return *expected;  // another thread stored its copy first
}

}  // namespace cairn::watch
