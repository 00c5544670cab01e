#include "plugin_buckets.h"

#include <algorithm>
#include <array>

#include "cairn/storage.h"

namespace cairn::snapshot {
namespace {

// Kernel buckets etcd has no counterpart of (membership bookkeeping that a
// restore starts afresh).
constexpr std::array<std::string_view, 1> kKernelOnlyBuckets = {
    storage::kConfChangesRefusedBucket,
};

template <typename List>
bool contains(const List& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

bool isEtcdBucket(std::string_view bucket) {
  return contains(kEtcdBuckets, bucket);
}

bool isPluginBucket(std::string_view bucket) {
  return !bucket.empty() && !isEtcdBucket(bucket) && !contains(kKernelOnlyBuckets, bucket);
}

std::string snapshotBucketName(std::string_view pluginBucket) {
  return std::string(kPluginBucketPrefix) + std::string(pluginBucket);
}

std::optional<std::string> pluginBucketOf(std::string_view snapshotBucket) {
  if (snapshotBucket.substr(0, kPluginBucketPrefix.size()) != kPluginBucketPrefix) {
    return std::nullopt;
  }
  std::string_view name = snapshotBucket.substr(kPluginBucketPrefix.size());
  if (!isPluginBucket(name)) return std::nullopt;
  return std::string(name);
}

}  // namespace cairn::snapshot
