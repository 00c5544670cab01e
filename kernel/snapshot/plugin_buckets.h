// Where the buckets Cairn's plugins own (lua-hooks' progress, ...) go in an
// etcd-format snapshot. etcd 3.4 ignores buckets it does not know (snapshot
// status hashes them, restore copies them, the server never opens them), so
// a Cairn snapshot carries them as extra bbolt buckets and a Cairn member
// started on the restored data dir gets them back. In the file they are
// named "cairn-plugin/<bucket>": no etcd bucket has a '/' or that prefix,
// whatever a plugin names its bucket, so the two can never collide.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::snapshot {

inline constexpr std::string_view kPluginBucketPrefix = "cairn-plugin/";

// The buckets of etcd 3.4's backend (mvcc, lease, alarm, auth, membership).
inline constexpr std::array<std::string_view, 10> kEtcdBuckets = {
    "alarm", "auth",  "authRoles", "authUsers",       "cluster",
    "key",   "lease", "members",   "members_removed", "meta",
};
bool isEtcdBucket(std::string_view bucket);

// A backend bucket that is neither etcd's nor the kernel's: a plugin's.
bool isPluginBucket(std::string_view bucket);

// The snapshot's name for a plugin bucket.
std::string snapshotBucketName(std::string_view pluginBucket);

// The plugin bucket a snapshot bucket restores to, or nullopt if it is not
// one (or names a bucket the kernel or etcd owns: never overwritten so).
std::optional<std::string> pluginBucketOf(std::string_view snapshotBucket);

}  // namespace cairn::snapshot
