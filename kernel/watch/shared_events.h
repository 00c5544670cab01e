// SharedEvents: the events of one committed revision, stored once by the hub
// and referenced by every queued response that carries some of them, so a
// fan-out to N watchers holds one copy of each event, not N. Their wire
// encoding is also made once (on first use) and shared, so a response
// written as bytes (WatchStream::pollEncoded) copies encoded events instead
// of building and serializing protobuf messages per watcher.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mvccpb/kv.pb.h"

namespace cairn::watch {

// The events of a revision serialized as mvccpb.Event messages, back to
// back; immutable once built.
struct EncodedEvents {
  std::string data;
  std::vector<std::size_t> ends;  // event i is data[ends[i-1] (or 0), ends[i])

  std::string_view event(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(data).substr(begin, ends[i] - begin);
  }
};

struct SharedEvents {
  // `withPrev`: every event that had a previous state carries it as prev_kv
  // (what a prev_kv watcher may be sent by reference).
  SharedEvents(std::vector<mvccpb::Event> evs, bool withPrev);
  ~SharedEvents();
  SharedEvents(const SharedEvents&) = delete;
  SharedEvents& operator=(const SharedEvents&) = delete;

  // The events encoded, with their prev_kv or without it (what a watcher
  // that did not ask for prev_kv is sent). Built by the first caller of each
  // form; callers racing on it may each build one, the first stored wins.
  // Any thread.
  const EncodedEvents& encoded(bool prevKv) const;

  // Immutable once built (shared across threads without a lock).
  std::vector<mvccpb::Event> events;
  // Encoded size of each event, prev_kv included: what a response carrying
  // it costs against a stream's byte bound.
  std::vector<std::size_t> bytes;
  const bool withPrev;

 private:
  // [0]: without prev_kv, [1]: with it. Null until built, then owned here.
  mutable std::array<std::atomic<const EncodedEvents*>, 2> encoded_{};
};

}  // namespace cairn::watch
