#include "member_ids.h"

#include <algorithm>
// Boost's SHA-1 lives in a detail header, but it is the only SHA-1 in the
// fixed dependency set and has been stable for a decade.
#include <boost/uuid/detail/sha1.hpp>
#include <cstdio>

namespace cairn::server {
namespace {

uint64_t sha1Prefix(const std::string& data) {
  boost::uuids::detail::sha1 sha;
  sha.process_bytes(data.data(), data.size());
  boost::uuids::detail::sha1::digest_type digest;
  sha.get_digest(digest);
  // digest[0] holds the first four bytes of the hash, big-endian.
  return (static_cast<uint64_t>(digest[0]) << 32) | static_cast<uint64_t>(digest[1]);
}

}  // namespace

uint64_t computeMemberId(std::vector<std::string> peerUrls, const std::string& clusterToken) {
  std::sort(peerUrls.begin(), peerUrls.end());
  std::string data;
  for (const auto& u : peerUrls) data += u;
  data += clusterToken;
  return sha1Prefix(data);
}

uint64_t computeClusterId(std::vector<uint64_t> memberIds) {
  std::sort(memberIds.begin(), memberIds.end());
  std::string data;
  for (uint64_t id : memberIds) {
    for (int shift = 56; shift >= 0; shift -= 8) data += static_cast<char>((id >> shift) & 0xff);
  }
  return sha1Prefix(data);
}

std::string idToHex(uint64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace cairn::server
