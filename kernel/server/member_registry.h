// MemberRegistry: what the cluster knows about each member: id, peer URLs,
// learner flag (the raft attributes, set by the conf change that added the
// member) and name and client URLs (the attributes each member publishes
// through raft when it starts, as etcd's publish does).
//
// Durable in the backend's "members" bucket, written in the same batch as
// the entry that changed it (key: the id in hex as etcd keys it, value: a
// serialized etcdserverpb::Member); loaded at start. Entries re-applied
// after a restart write the same records again.
//
// Threads: written by the apply loop, read anywhere; mu_ guards members_.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {

class MemberRegistry {
 public:
  // Reads every record of the members bucket.
  Status load(storage::ReadTxn& read);

  // Apply loop: a member added (or re-added) with its raft attributes.
  void add(const etcdserverpb::Member& member, storage::WriteBatch* batch);
  void remove(uint64_t id, storage::WriteBatch* batch);
  // Name and client URLs published by member `id`; false if it is unknown.
  bool setAttributes(uint64_t id, const std::string& name,
                     const std::vector<std::string>& clientUrls, storage::WriteBatch* batch);

  // A removal, recorded for good: etcd never lets a removed id back.
  void markRemoved(uint64_t id, storage::WriteBatch* batch);
  bool isRemoved(uint64_t id) const;
  // The conf change at raft index `index` was refused; a replay after a
  // restart must refuse it again without re-checking (the checks read state
  // that has moved on since).
  void markRefused(uint64_t index, storage::WriteBatch* batch);
  bool wasRefused(uint64_t index) const;

  std::optional<etcdserverpb::Member> find(uint64_t id) const;
  std::vector<etcdserverpb::Member> all() const;

 private:
  void store(const etcdserverpb::Member& m, storage::WriteBatch* batch);

  mutable std::mutex mu_;
  std::map<uint64_t, etcdserverpb::Member> members_;  // guarded by mu_
  std::set<uint64_t> removed_;                        // guarded by mu_
  std::set<uint64_t> refused_;                        // guarded by mu_
};

}  // namespace cairn::server
