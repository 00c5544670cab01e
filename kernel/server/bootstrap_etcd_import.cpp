// Bootstrap, part two: starting on an etcd 3.4 data dir.
//
// etcd keeps its state in member/snap/db (a bbolt file; kernel/snapshot
// reads it) beside its own WAL and snap files; `etcdctl snapshot restore`
// writes the same layout. Cairn's WAL and snapshot files are its own format,
// so the import (1) copies the db's buckets into the backend (etcd's bytes:
// key history, meta with consistent_index, leases, auth, alarms, and the
// buckets of Cairn's plugins when the db is a Cairn snapshot; members come
// from --initial-cluster, as etcd takes them from the flags that restored or
// started it), (2) reads etcd's WAL after the db's consistent_index (after a
// kill -9 the newest acknowledged writes are only there: etcd commits its
// db every 100 ms), (3) moves etcd's WAL and snap files aside into
// "<dir>.etcd-imported" (kept, never deleted), (4) writes a Cairn WAL
// holding a snapshot at the db's consistent_index with the members as
// voters, etcd's entries after it and etcd's hard state, so the apply loop
// applies the committed ones on start as etcd's restart would
// (etcd_wal_replay.h), and (5) moves
// the db aside last: a crash anywhere before makes the next start redo the
// import from the untouched db, reading etcd's WAL from where (3) put it.
// Before anything, the ids in etcd's WAL must be the ones the flags give, so
// a member never takes another's data dir. A marker file says an import is
// under way, so a Cairn WAL is only ever replaced when this code made it.
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>

#include "bootstrap.h"
#include "etcd_wal_replay.h"
#include "etcdserverpb/etcdserver.pb.h"
#include "member_ids.h"
#include "snapshot/import_from_bbolt.h"
#include "snapshot/plugin_buckets.h"
#include "wal/etcd_wal_reader.h"

namespace cairn::server {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCaller = "server/bootstrap_etcd_import.cpp";
constexpr const char* kImportMarker = "etcd-import-in-progress";
// The term of the imported snapshot when there is no etcd WAL to take it
// from: a new raft log starts after it (as `etcdctl snapshot restore`
// starts one at term 1).
constexpr uint64_t kImportTerm = 1;
// How many bytes of replayed etcd entries go into one WAL write.
constexpr std::size_t kImportBatchBytes = 4 << 20;

// True if the oldest segment in `dir` starts as Cairn's WAL does: its first
// record header is {length 4, type Crc (4)}; etcd's starts with a u64 frame
// length whose upper half is zero or a padding mark.
bool isCairnWal(const std::string& dir) {
  std::vector<fs::path> segments;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".wal") segments.push_back(e.path());
  }
  if (segments.empty()) return false;
  std::sort(segments.begin(), segments.end());
  std::ifstream in(segments.front(), std::ios::binary);
  std::array<char, 8> head{};
  if (!in.read(head.data(), head.size())) return false;
  return head[4] == 4 && head[5] == 0 && head[6] == 0 && head[7] == 0;
}

Status moveAside(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::rename(from, to, ec);
  if (ec) {
    return Status(StatusCode::FailedPrecondition, "etcd import: cannot move " + from.string() +
                                                      " to " + to.string() + ": " + ec.message());
  }
  return Status::ok();
}

// The buckets copied from etcd's db: everything etcd 3.4 keeps, except the
// membership (from the flags) and the cluster version (Cairn's is fixed),
// and the plugin buckets a Cairn snapshot carries (plugin_buckets.h).
std::optional<std::string> importedBucket(std::string_view b) {
  static constexpr std::array<std::string_view, 8> kBuckets = {
      "alarm", "auth", "authRoles", "authUsers", "key", "lease", "members_removed", "meta"};
  if (std::find(kBuckets.begin(), kBuckets.end(), b) != kBuckets.end()) return std::string(b);
  return snapshot::pluginBucketOf(b);
}

}  // namespace

Status Bootstrap::importEtcdDataDir(RecoveredMember* m) {
  const fs::path db = fs::path(snapDir_) / "db";
  std::error_code ec;
  if (!fs::is_regular_file(db, ec)) return Status::ok();
  const fs::path marker = fs::path(memberDir_) / kImportMarker;
  const bool resumed = fs::exists(marker, ec);
  if (wal::Wal::exists(walDir_) && isCairnWal(walDir_)) {
    if (!resumed) {
      return Status(StatusCode::FailedPrecondition, "found an etcd backend " + db.string() +
                                                        " beside Cairn's WAL in " + walDir_ +
                                                        "; move one of them away");
    }
    // Our own half-made WAL from an interrupted import: made again below.
    fs::remove_all(walDir_, ec);
  }
  if (Status st = validateInitialCluster(); !st) return st;
  logger_.info(kCaller, "importing etcd data dir", jsonField("db", db.string()));

  // etcd's WAL: in place, or already moved aside by the interrupted import
  // this one redoes.
  const std::string etcdWalAside = walDir_ + ".etcd-imported";
  std::string etcdWal;
  if (wal::Wal::exists(walDir_) && !isCairnWal(walDir_)) {
    etcdWal = walDir_;
  } else if (resumed && wal::Wal::exists(etcdWalAside)) {
    etcdWal = etcdWalAside;
  }

  uint64_t selfId = 0;
  std::map<uint64_t, etcdserverpb::Member> members = initialMembers(&selfId);
  if (Status st = checkEtcdWalIds(etcdWal, selfId, members); !st) return st;

  // (1) The db's buckets, then this cluster's members, replace the backend.
  snapshot::BboltImportOptions opts;
  opts.bucketName = importedBucket;
  for (const auto& [id, member] : members) {
    opts.extra.push_back(
        {std::string(storage::kMembersBucket), idToHex(id), member.SerializeAsString()});
  }
  if (Status st = snapshot::importFromBbolt(db.string(), backend_, opts); !st) {
    return Status(st.code(), "etcd import: " + st.message());
  }
  if (Status st = backend_.sync(); !st) return st;
  m->store = std::make_unique<mvcc::KvStore>(backend_);
  if (Status st = m->store->restore(); !st) return st;
  const uint64_t index = m->store->consistentIndex();
  if (index == 0) {
    return Status(
        StatusCode::FailedPrecondition,
        "etcd import: " + db.string() + " has no consistent_index (not an etcd backend?)");
  }
  { std::ofstream(marker).put('\n'); }

  // (2) The committed entries only etcd's WAL holds.
  EtcdReplay replay;
  replay.snapshotTerm = kImportTerm;
  replay.hardState.set_term(kImportTerm);
  replay.hardState.set_commit(index);
  if (!etcdWal.empty()) {
    if (Status st = etcdEntriesToReplay(etcdWal, index, &replay); !st) {
      return Status(st.code(), "etcd import: " + st.message());
    }
  }

  // (3) etcd's WAL and snap files, kept beside.
  if (etcdWal == walDir_) {
    if (Status st = moveAside(walDir_, etcdWalAside); !st) return st;
  }
  for (const auto& e : fs::directory_iterator(snapDir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".snap") == 0) {
      if (Status st = moveAside(e.path(), fs::path(snapDir_ + ".etcd-imported") / name); !st) {
        return st;
      }
    }
  }

  // (4) Cairn's WAL and snapshot at the db's index, then etcd's entries.
  m->memberId = selfId;
  if (Status st = writeImportedRaftState(m, index, members, replay); !st) return st;

  // (5) Done: the db goes last.
  if (Status st = moveAside(db, fs::path(snapDir_ + ".etcd-imported") / "db"); !st) return st;
  fs::remove(marker, ec);
  logger_.info(
      kCaller, "imported etcd data dir",
      jsonField("consistent-index", static_cast<long long>(index)) + "," +
          jsonField("keys-revision", static_cast<long long>(m->store->currentRevision())) + "," +
          jsonField("wal-entries-replayed", static_cast<long long>(replay.entries.size())) + "," +
          jsonField("wal-requests", static_cast<long long>(replay.requests)) + "," +
          jsonField("wal-membership-changes-skipped", static_cast<long long>(replay.confChanges)) +
          "," + jsonField("wal-v2-requests-skipped", static_cast<long long>(replay.v2Requests)) +
          "," + jsonField("commit-index", static_cast<long long>(replay.hardState.commit())) + "," +
          jsonField("term", static_cast<long long>(replay.hardState.term())) + "," +
          jsonField("etcd-files-kept-in", snapDir_ + ".etcd-imported"));
  return Status::ok();
}

Status Bootstrap::checkEtcdWalIds(const std::string& etcdWal, uint64_t selfId,
                                  const std::map<uint64_t, etcdserverpb::Member>& members) const {
  if (etcdWal.empty()) return Status::ok();
  wal::EtcdWalIds ids;
  if (Status st = wal::readEtcdWalIds(etcdWal, &ids); !st) {
    return Status(st.code(), "etcd import: " + st.message());
  }
  std::vector<uint64_t> memberIds;
  for (const auto& [id, member] : members) memberIds.push_back(id);
  const uint64_t clusterId = computeClusterId(memberIds);
  if (ids.memberId != selfId || ids.clusterId != clusterId) {
    return Status(StatusCode::FailedPrecondition,
                  "etcd import: the data dir belongs to member " + idToHex(ids.memberId) +
                      " of cluster " + idToHex(ids.clusterId) + ", but --name, --initial-cluster" +
                      " and --initial-cluster-token give member " + idToHex(selfId) +
                      " of cluster " + idToHex(clusterId) +
                      "; start with the flags etcd ran with (or restored with)");
  }
  return Status::ok();
}

Status Bootstrap::writeImportedRaftState(RecoveredMember* m, uint64_t index,
                                         const std::map<uint64_t, etcdserverpb::Member>& members,
                                         const EtcdReplay& replay) {
  std::vector<uint64_t> ids;
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(replay.snapshotTerm);
  for (const auto& [id, member] : members) {
    ids.push_back(id);
    snap.mutable_metadata()->mutable_conf_state()->add_voters(id);
  }
  if (!backend_.persistent()) {
    // A memory backend comes back from this snapshot after a restart.
    std::string* data = snap.mutable_data();
    Status st = backend_.exportState([data](std::string_view chunk) {
      data->append(chunk);
      return Status::ok();
    });
    if (!st) return st;
  }
  if (Status st = m->snapshotter->save(snap); !st) return st;

  etcdserverpb::Metadata meta;
  meta.set_nodeid(m->memberId);
  meta.set_clusterid(computeClusterId(ids));
  wal::Options wopts;
  wopts.segmentSizeBytes = options_.walSegmentBytes;
  std::unique_ptr<wal::Wal> wal;
  if (Status st = wal::Wal::create(walDir_, meta.SerializeAsString(), wopts, &wal); !st) {
    return st;
  }
  if (Status st = wal->saveSnapshot({index, replay.snapshotTerm}); !st) return st;
  const raftpb::HardState& hs = replay.hardState;
  // The entries in batches of a few MiB, so segments are cut between them
  // as in normal running; the hard state and one sync come last.
  std::vector<raftpb::Entry> batch;
  std::size_t batchBytes = 0;
  for (std::size_t i = 0; i < replay.entries.size(); ++i) {
    batch.push_back(replay.entries[i]);
    batchBytes += replay.entries[i].data().size();
    if (batchBytes >= kImportBatchBytes || i + 1 == replay.entries.size()) {
      if (Status st = wal->save(raftpb::HardState(), batch, false); !st) return st;
      batch.clear();
      batchBytes = 0;
    }
  }
  if (Status st = wal->save(hs, {}, true); !st) return st;
  return wal->close();
}

}  // namespace cairn::server
