#include "etcd_wal_replay.h"

#include <algorithm>

#include "etcdserverpb/raft_internal.pb.h"
#include "wal/etcd_wal_reader.h"

namespace cairn::server {
namespace {

// etcd 3.4 proposes every v3 request through processInternalRaftRequestOnce,
// which always sets the header; a v2 request is either wrapped (V2) or a
// bare etcdserverpb.Request, which never has field 100.
bool isV3Request(const std::string& data) {
  etcdserverpb::InternalRaftRequest req;
  return req.ParseFromString(data) && req.has_header() && !req.has_v2();
}

}  // namespace

Status etcdEntriesToReplay(const std::string& walDir, uint64_t index, EtcdReplay* out) {
  wal::EtcdWalContents etcdLog;
  if (Status st = wal::readEtcdWal(walDir, index, &etcdLog); !st) return st;
  auto lacking = [&](const std::string& what) {
    return Status(StatusCode::DataLoss, "etcd wal " + walDir + " " + what +
                                            " (the db's consistent_index is " +
                                            std::to_string(index) + ")");
  };
  const std::vector<wal::EtcdWalEntry>& entries = etcdLog.entries;
  if (!entries.empty() && entries.front().index != index + 1) {
    return lacking("has no entries " + std::to_string(index + 1) + ".." +
                   std::to_string(entries.front().index - 1));
  }
  if (etcdLog.commit > index && (entries.empty() || entries.back().index < etcdLog.commit)) {
    return lacking("lacks committed entries up to " + std::to_string(etcdLog.commit));
  }
  if (!entries.empty() && !etcdLog.afterTerm) {
    return lacking("does not hold the term of entry " + std::to_string(index));
  }
  // A WAL that ends at the db's index (a restored snapshot's, say) may not
  // say its term: any term up to the hard state's keeps the log valid.
  out->snapshotTerm = etcdLog.afterTerm.value_or(std::max<uint64_t>(etcdLog.term, 1));
  uint64_t lastTerm = out->snapshotTerm;
  for (const wal::EtcdWalEntry& e : entries) {
    raftpb::Entry entry;
    entry.set_term(e.term);
    entry.set_index(e.index);
    entry.set_type(raftpb::ENTRY_NORMAL);
    if (e.type != wal::EtcdEntryType::Normal) {
      ++out->confChanges;
    } else if (!e.data.empty() && !isV3Request(e.data)) {
      ++out->v2Requests;
    } else {
      if (!e.data.empty()) ++out->requests;
      entry.set_data(e.data);
    }
    lastTerm = std::max(lastTerm, e.term);
    out->entries.push_back(std::move(entry));
  }
  // etcd applies (and answers) entries before the Ready that commits them
  // is in its WAL, so the db can be past the last recorded commit.
  out->hardState.set_term(std::max(etcdLog.term, lastTerm));
  out->hardState.set_vote(etcdLog.term >= lastTerm ? etcdLog.vote : 0);
  out->hardState.set_commit(std::max(etcdLog.commit, index));
  return Status::ok();
}

}  // namespace cairn::server
