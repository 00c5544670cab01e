// Watcher: one watch of a stream (internal to the hub).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cairn::watch {

class WatchStream;

struct Watcher : std::enable_shared_from_this<Watcher> {
  // Immutable after creation.
  int64_t id = 0;
  WatchStream* stream = nullptr;  // owner; outlives the watcher's registration
  std::string key;
  std::string end;       // empty with !fromKey: the single key
  bool fromKey = false;  // rangeEnd "\0": every key >= key
  bool noPut = false;
  bool noDelete = false;
  bool prevKv = false;
  bool progressNotify = false;
  bool fragment = false;

  bool isRange() const { return fromKey || !end.empty(); }

  // Guarded by WatchHub::mu_.
  int64_t nextRev = 0;    // first revision not yet queued for the client
  bool synced = false;    // in the live index (else in the unsynced set)
  bool canceled = false;  // removed from the hub

  // Guarded by the owning stream's outMu_.
  std::size_t queued = 0;  // revisions of events queued, not yet taken
  // The watcher's last live response in its stream's queue, mergeable while
  // tailGen equals the stream's generation (see WatchStream::pushShared).
  uint64_t tailSeq = 0;
  uint64_t tailGen = 0;        // 0: none
  bool sentSinceTick = false;  // an event response was queued since the last progress tick
};

}  // namespace cairn::watch
