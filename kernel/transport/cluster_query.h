// queryCluster: asks a running member, over Cairn's peer protocol, for the
// cluster's description (TcpTransportOptions::describeCluster), as etcd's
// GetClusterFromRemotePeers asks a peer's /members over HTTP. Used by a
// member joining an existing cluster, before its own transport starts.
#pragma once

#include <chrono>
#include <string>

#include "cairn/settings.h"
#include "cairn/status.h"
#include "peer_tls.h"

namespace cairn::transport {

// Blocks up to `timeout`. On success `*answer` holds the description and
// `*clusterId` the answering member's cluster id. An https:// URL is asked
// over TLS with `tls` (null: such a URL cannot be asked).
Status queryCluster(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                    uint64_t* clusterId, std::string* answer);

}  // namespace cairn::transport
