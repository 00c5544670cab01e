// The part of an etcd 3.4 WAL a Cairn member replays when it starts on
// etcd's data dir: the committed entries after the bbolt db's
// consistent_index (etcd commits its db every 100 ms, so after a kill -9
// the newest acknowledged writes are only in the WAL).
//
// Cairn's log carries the same etcdserverpb.InternalRaftRequest bytes etcd's
// does, so the import continues etcd's raft state: a snapshot at the db's
// index with the term etcd's log has there, then etcd's entries after it at
// the same indexes and terms (the uncommitted tail too: as on etcd's own
// restart, the next leader commits or replaces it), and etcd's last
// HardState (term, vote, commit). Cairn's apply loop applies the committed
// entries on start exactly as etcd's restart would: an entry at or below
// the backend's consistent index is skipped, a later one applied. What
// Cairn does not apply becomes an empty entry at its index and term (a
// no-op that only advances the consistent index, as etcd's leader no-ops
// do): membership changes (the members come from the flags, as for the
// db's members bucket) and v2 store requests (member attributes, the
// cluster version, v2 API writes: Cairn has no v2 store). Every member of
// an etcd cluster converts the same entry the same way, so logs that
// agreed at an index and term still do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"

namespace cairn::server {

struct EtcdReplay {
  uint64_t snapshotTerm = 0;           // of the entry at the db's index
  raftpb::HardState hardState;         // commit >= the db's index
  std::vector<raftpb::Entry> entries;  // index + 1 ..., contiguous
  std::size_t requests = 0;            // entries carrying a v3 request
  std::size_t confChanges = 0;         // turned into no-ops
  std::size_t v2Requests = 0;          // turned into no-ops
};

// Reads etcd's WAL in `walDir` and returns what follows the db's `index`.
// DataLoss if the WAL is damaged, lacks committed entries after `index`,
// or has entries after it but does not say the term at it.
Status etcdEntriesToReplay(const std::string& walDir, uint64_t index, EtcdReplay* out);

}  // namespace cairn::server
