// The part of an etcd 3.4 WAL a Cairn member replays when it starts on
// etcd's data dir: the committed entries after the bbolt db's
// consistent_index (etcd commits its db every 100 ms, so after a kill -9
// the newest acknowledged writes are only in the WAL).
//
// Cairn's log carries the same etcdserverpb.InternalRaftRequest bytes etcd's
// does, so those entries go into Cairn's new WAL unchanged (at the same
// indexes, committed), after the import snapshot, and Cairn's apply loop
// applies them on start exactly as etcd's restart would: an entry at or
// below the backend's consistent index is skipped, a later one applied.
// What Cairn does not apply becomes an empty entry at its index (a no-op
// that only advances the consistent index, as etcd's leader no-ops do):
// membership changes (the members come from the flags, as for the db's
// members bucket) and v2 store requests (member attributes, the cluster
// version, v2 API writes: Cairn has no v2 store).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"

namespace cairn::server {

struct EtcdReplay {
  std::vector<raftpb::Entry> entries;  // index + 1 ..., contiguous
  uint64_t commit = 0;                 // the last entry's index, or the db's
  std::size_t requests = 0;            // entries carrying a v3 request
  std::size_t confChanges = 0;         // turned into no-ops
  std::size_t v2Requests = 0;          // turned into no-ops
};

// Reads etcd's WAL in `walDir` and returns its committed entries after
// `index` as Cairn log entries of term `term`. DataLoss if the WAL is
// damaged or lacks committed entries after `index`.
Status etcdEntriesToReplay(const std::string& walDir, uint64_t index, uint64_t term,
                           EtcdReplay* out);

}  // namespace cairn::server
