// Bootstrap: brings a member's state up before any thread runs.
//
// Opens the backend and the MVCC store, then either bootstraps a new member
// (validating --initial-cluster, deriving the member and cluster ids,
// creating the WAL, a raft node with this member as the only voter) or
// recovers an existing one (newest usable snapshot, backend restored from it
// when behind, WAL replayed into raft's storage; raft re-delivers every
// committed entry after the snapshot and the apply loop skips those at or
// below the backend's consistent index). An etcd 3.4 data dir (a bbolt
// member/snap/db, as etcd runs on or `etcdctl snapshot restore` writes) is
// first imported into the backend and given a Cairn WAL and snapshot
// (bootstrap_etcd_import.cpp), then recovered as any Cairn data dir. Last,
// the plugins' recover hooks run on a read of the recovered backend, before
// any entry is applied.
//
// Owner: the thread calling Server::start(), once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cairn/logger.h"
#include "cairn/raftpb.pb.h"
#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvcc/kv_store.h"
#include "plugin/plugin_registry.h"
#include "raft/config.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"
#include "server_options.h"
#include "transport/peer_tls.h"
#include "wal/snapshotter.h"
#include "wal/wal.h"

namespace cairn::server {

struct EtcdReplay;  // etcd_wal_replay.h

// What the member runs with after bootstrap or recovery.
struct RecoveredMember {
  uint64_t memberId = 0;
  uint64_t clusterId = 0;
  std::unique_ptr<mvcc::KvStore> store;
  std::unique_ptr<wal::Wal> wal;
  std::unique_ptr<wal::Snapshotter> snapshotter;
  std::unique_ptr<raft::RawNode> node;
  raftpb::ConfState confState;  // as of the snapshot (conf changes after it are re-applied)
  uint64_t snapshotIndex = 0;
  uint64_t appliedIndex = 0;  // raft's applied index to start from
  // Every member this one knows at start with its peer URLs (itself
  // included): the initial cluster of a new member; the backend's members
  // bucket and the conf changes in the WAL of a recovered one.
  std::map<uint64_t, std::vector<std::string>> peers;
  // The data dir had a WAL (etcd's memberInitialized): only such a member
  // runs the initial corruption check.
  bool recovered = false;
};

class Bootstrap {
 public:
  Bootstrap(const ServerOptions& options, Logger& logger, storage::Backend& backend,
            raft::MemoryStorage& raftStorage);

  Status run(const plugin::PluginRegistry& registry, RecoveredMember* out);
  // TLS for asking https:// peers when joining (null: http:// peers only).
  void setPeerTls(const transport::PeerTls* tls) { peerTls_ = tls; }

 private:
  Status openStorage(RecoveredMember* m);
  Status bootstrapNew(RecoveredMember* m);
  Status recoverExisting(RecoveredMember* m);
  // --initial-cluster-state=existing on an empty data dir (bootstrap_join.cpp).
  Status joinExisting(RecoveredMember* m);
  // Creates the WAL naming this member and its cluster.
  Status createWal(RecoveredMember* m);
  // The members --initial-cluster names, by id, and this member's id.
  std::map<uint64_t, etcdserverpb::Member> initialMembers(uint64_t* selfId) const;
  // bootstrap_etcd_import.cpp: imports an etcd data dir if there is one.
  Status importEtcdDataDir(RecoveredMember* m);
  Status checkEtcdWalIds(const std::string& etcdWal, uint64_t selfId,
                         const std::map<uint64_t, etcdserverpb::Member>& members) const;
  Status writeImportedRaftState(RecoveredMember* m, uint64_t index,
                                const std::map<uint64_t, etcdserverpb::Member>& members,
                                const EtcdReplay& replay);
  Status validateInitialCluster() const;
  Status advertiseMatchesCluster(const std::set<std::string>& clusterUrls) const;
  Status runRecoverHooks(const plugin::PluginRegistry& registry);
  raft::Config raftConfig(uint64_t memberId, bool cluster);
  void collectPeers(const std::vector<raftpb::Entry>& entries, const raftpb::ConfState& snapConf,
                    RecoveredMember* m);

  const ServerOptions& options_;
  const transport::PeerTls* peerTls_ = nullptr;
  Logger& logger_;
  storage::Backend& backend_;
  raft::MemoryStorage& raftStorage_;
  std::string memberDir_, walDir_, snapDir_;
};

}  // namespace cairn::server
