#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "watch_plan.h"
#include "watch_writer.h"

namespace cairn::bench {

// One event the server must deliver, with the digests a watcher's copy must
// match: kv as etcd 3.4 reports it (a DELETE's kv holds only the key and the
// deleting revision) and prev_kv, the key's state just before.
struct ModelEvent {
  std::int64_t revision = 0;
  std::string key;
  bool isDelete = false;
  std::uint64_t kvDigest = 0;
  bool hasPrev = false;  // the key existed before this event
  std::uint64_t prevDigest = 0;
  std::size_t write = 0;  // index of the planned write that caused it
};

// Replays the acknowledged writes in revision order over an empty key space
// (the run deletes its prefix first). Within a revision, events follow op
// order, and a range delete's keys follow key order: the order etcd assigns
// sub-revisions in and delivers events in.
class WatchModel {
 public:
  // Fails when the changing writes' revisions are not exactly
  // baseRevision+1, +2, ... (another client wrote, or the server skipped or
  // reused a revision) or when the server deleted other keys than the model.
  bool build(const std::vector<WriteSpec>& writes, const std::vector<WriteOutcome>& outcomes,
             std::int64_t baseRevision, std::string* error);

  const std::vector<ModelEvent>& events() const { return events_; }

 private:
  std::vector<ModelEvent> events_;
};

}  // namespace cairn::bench
