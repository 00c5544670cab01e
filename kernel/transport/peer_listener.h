// listenPeerUrl: one --listen-peer-urls address bound and listening, as
// etcd's configurePeerListeners binds them; its errors in Go's words
// ("listen tcp 127.0.0.1:2380: bind: address already in use").
// checkPeerListeners binds every address once and lets go, so a member
// whose peer port is taken is refused before it writes its data dir, as
// etcd is (the transport binds them for good when raft starts).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "cairn/settings.h"
#include "cairn/status.h"
#include "peer_tls.h"

namespace cairn::transport {

// `*out` listens on `url` (http:// or https://; an https:// one needs a
// `tls` that serves). Unavailable for a bind failure, InvalidArgument for a
// bad host or missing TLS, Unimplemented for another scheme.
Status listenPeerUrl(boost::asio::io_context& io, const Url& url, const PeerTls* tls,
                     std::unique_ptr<boost::asio::ip::tcp::acceptor>* out);

// Each of `urls` bound then closed: the first failure, or ok.
Status checkPeerListeners(const std::vector<Url>& urls, const PeerTls* tls);

}  // namespace cairn::transport
