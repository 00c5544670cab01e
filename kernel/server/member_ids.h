// Member and cluster IDs derived the way etcd derives them, so a Cairn member
// bootstrapped with the same --initial-cluster and --initial-cluster-token as
// an etcd member gets the same IDs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::server {

// First 8 bytes (big-endian) of SHA-1(sorted peer URLs joined + cluster token).
uint64_t computeMemberId(std::vector<std::string> peerUrls, const std::string& clusterToken);
// First 8 bytes of SHA-1 over the sorted member IDs, each as 8 big-endian bytes.
uint64_t computeClusterId(std::vector<uint64_t> memberIds);
// Lower-case hex without leading zeros, as etcd prints IDs.
std::string idToHex(uint64_t id);

}  // namespace cairn::server
