#include "etcd_wal_replay.h"

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

Status etcdEntriesToReplay(const std::string& walDir, uint64_t index, uint64_t term,
                           EtcdReplay* out) {
  wal::EtcdWalContents etcdLog;
  if (Status st = wal::readEtcdWal(walDir, index, &etcdLog); !st) return st;
  out->commit = index;
  if (etcdLog.commit <= index) return Status::ok();
  if (etcdLog.entries.empty() || etcdLog.entries.front().index != index + 1 ||
      etcdLog.entries.back().index < etcdLog.commit) {
    return Status(StatusCode::DataLoss,
                  "etcd wal " + walDir + " lacks committed entries " + std::to_string(index + 1) +
                      ".." + std::to_string(etcdLog.commit) + " (the db's consistent_index is " +
                      std::to_string(index) + ")");
  }
  for (wal::EtcdWalEntry& e : etcdLog.entries) {
    if (e.index > etcdLog.commit) break;
    raftpb::Entry entry;
    entry.set_term(term);
    entry.set_index(e.index);
    entry.set_type(raftpb::ENTRY_NORMAL);
    if (e.type != wal::EtcdEntryType::Normal) {
      ++out->confChanges;
    } else if (!e.data.empty() && !isV3Request(e.data)) {
      ++out->v2Requests;
    } else {
      if (!e.data.empty()) ++out->requests;
      entry.set_data(std::move(e.data));
    }
    out->entries.push_back(std::move(entry));
  }
  out->commit = etcdLog.commit;
  return Status::ok();
}

}  // namespace cairn::server
