// TcpHashKvPeers: HashKvPeers over Cairn's peer protocol
// (transport::queryHashKv), each request bounded by etcd's request timeout
// as etcd bounds its GET of a peer's /members/hashkv.
//
// Threads: any; holds no state beyond its constants.
#pragma once

#include <chrono>
#include <cstdint>

#include "corruption_check.h"
#include "transport/peer_tls.h"

namespace cairn::server {

class TcpHashKvPeers final : public HashKvPeers {
 public:
  // `tls` (null: http:// peer URLs only) outlives this.
  TcpHashKvPeers(uint64_t clusterId, std::chrono::milliseconds timeout,
                 const transport::PeerTls* tls)
      : clusterId_(clusterId), timeout_(timeout), tls_(tls) {}

  Status hashKv(const std::string& endpoint, int64_t revision,
                transport::HashKvAnswer* out) override;

 private:
  const uint64_t clusterId_;
  const std::chrono::milliseconds timeout_;
  const transport::PeerTls* const tls_;
};

}  // namespace cairn::server
