// SharedEvents: the events of one committed revision, stored once by the hub
// and referenced by every queued response that carries some of them, so a
// fan-out to N watchers holds one copy of each event, not N.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "mvccpb/kv.pb.h"

namespace cairn::watch {

struct SharedEvents {
  explicit SharedEvents(std::vector<mvccpb::Event> evs) : events(std::move(evs)) {
    bytes.reserve(events.size());
    for (const mvccpb::Event& e : events) bytes.push_back(e.ByteSizeLong());
  }

  // Immutable once built (shared across threads without a lock).
  std::vector<mvccpb::Event> events;
  // Encoded size of each event, prev_kv included: what a response carrying
  // it costs against a stream's byte bound.
  std::vector<std::size_t> bytes;
};

}  // namespace cairn::watch
