// EtcdDbWriter: turns the records of a backend's export stream into the bbolt
// database etcd 3.4 would hold for the same state (its snapshot format).
//
// Most of Cairn's buckets already hold etcd's bytes and map one to one: key
// (revision -> mvccpb.KeyValue), meta, lease, alarm, auth, authUsers,
// authRoles. The differences it bridges:
//  - members: Cairn stores etcdserverpb.Member protobufs; etcd stores the
//    JSON of its membership.Member under the same hex-id key;
//  - cluster: etcd keeps the cluster version there ("clusterVersion" ->
//    "3.4.0"); Cairn has no such bucket, so the writer adds it;
//  - auth: etcd writes "authRevision" = 1 when it first starts; Cairn's auth
//    plugin leaves the key out until the first auth change (absent means 1),
//    so the writer adds the 1 etcd would hold;
//  - buckets etcd 3.4 creates at start (members_removed, ...) exist even
//    when empty;
//  - buckets owned by Cairn plugins (e.g. lua-hooks) go in as extra buckets
//    named "cairn-plugin/<bucket>" (plugin_buckets.h), which etcd ignores
//    and a Cairn member restores; kernel-only bookkeeping is left out.
#pragma once

#include <string>
#include <string_view>

#include "bbolt_writer.h"
#include "cairn/status.h"

namespace cairn::snapshot {

class EtcdDbWriter {
 public:
  explicit EtcdDbWriter(BboltWriter& out) : out_(out) {}

  Status add(std::string_view bucket, std::string_view key, std::string_view value);
  Status finish();

  // The JSON etcd 3.4 stores for a member (encoding/json of membership.Member).
  static Status memberJson(std::string_view protobuf, std::string* json);

 private:
  Status addAuthRevisionIfMissing();
  // Called when a record outside the auth bucket arrives.
  Status leaveAuth();

  BboltWriter& out_;
  bool sawCluster_ = false;
  bool sawAuthRevision_ = false;
  bool inAuth_ = false;  // the last record added was in the auth bucket
};

}  // namespace cairn::snapshot
