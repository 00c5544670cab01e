// Parameters and callbacks shared by the watch hub and its streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cairn/status.h"
#include "mvccpb/kv.pb.h"

namespace cairn::watch {

// etcd's WatchCreateRequest, after the gRPC layer has decoded it.
struct CreateParams {
  std::string key;
  // etcd conventions: empty = the single key; "\0" = every key >= key;
  // otherwise [key, rangeEnd) (a prefix is computed by the client).
  std::string rangeEnd;
  int64_t startRevision = 0;  // 0: the current revision + 1
  int64_t watchId = 0;        // 0: chosen by the stream (etcd's AutoWatchID)
  bool noPut = false;         // FilterType NOPUT
  bool noDelete = false;      // FilterType NODELETE
  bool prevKv = false;
  bool progressNotify = false;
  bool fragment = false;
};

// Reads committed events of [from, to], at most `limit` keys (0: no limit),
// never splitting a revision; *next is the first revision not returned.
// mvcc::KvStore::history fits; returns mvcc::errCompacted() below the floor.
using HistoryFn = std::function<Status(int64_t from, int64_t to, std::size_t limit,
                                       std::vector<mvccpb::Event>* out, int64_t* next)>;
// The key's value at revision `rev` (the previous value of an event at
// rev + 1). False if it did not exist or cannot be read (compacted).
using PrevKvFn = std::function<bool(const std::string& key, int64_t rev, mvccpb::KeyValue* out)>;
// The store's compacted revision (-1 or 0 if never compacted).
using CompactedRevisionFn = std::function<int64_t()>;

struct HubConfig {
  // Revisions of events a watcher may have queued in its stream (merged or
  // not) before it stops receiving live events and catches up from history
  // (etcd: chanBufLen, one response per revision there).
  std::size_t watcherBufferResponses = 128;
  // Encoded bytes of responses a stream may have queued (all its watchers
  // together; one response larger than half of it may go past it, so a big
  // catch-up cannot starve). Past it, a watcher with a live event for the
  // stream stops receiving live events and catches up from the recent log
  // or history once the client has read half of the backlog: a slow or
  // flooded stream costs this much memory, not one copy per watcher per
  // event.
  std::size_t streamBufferBytes = 1 << 20;
  // A watcher's live events of a new revision are merged into its previous
  // live response while that one is still queued and the stream has at
  // least mergeAfterBytes queued, as long as the merged response stays
  // within mergeBytes encoded bytes. mergeBytes 0: never merge.
  // A response waits in the queue only while the stream's previous write is
  // still in flight (gRPC takes one write per stream at a time, and its
  // completion comes back through its completion queue, 0.5-9 ms later under
  // load), so by default whatever waits takes the next revision along: one
  // message instead of one more round per revision. A reader that keeps up
  // still gets one response per revision. Against waiting for 2 KiB, with
  // etcd's Go client: 100 single-watcher streams at 1,000 puts/s, event p50
  // 10-15 -> 5 ms and p99 35-53 -> 16-19 ms; 1,000 streams x 10 watchers,
  // p50 360 -> 236 ms.
  std::size_t mergeBytes = 64 * 1024;
  std::size_t mergeAfterBytes = 0;
  // Recent revisions kept in memory (with prev_kv) so that catch-up can close
  // the gap to the live revision without reading history under the hub lock.
  std::size_t recentRevisions = 1024;
  // Responses of fragment watchers larger than this are split; the member
  // sets it from --max-request-bytes (plus gRPC's overhead allowance, as
  // etcd). 0: never split.
  std::size_t maxResponseBytes = 0;
  // Unsynced watchers handled per syncUnsynced() round (etcd: maxWatchersPerSync).
  std::size_t watchersPerSync = 512;
};

}  // namespace cairn::watch
