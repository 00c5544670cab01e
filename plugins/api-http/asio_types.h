// The socket types shared by the listener and the connections: a generic
// stream protocol, so TCP and unix client URLs share one code path.
#pragma once

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

namespace cairn::apihttp {

namespace net = boost::asio;
using Protocol = net::generic::stream_protocol;
using Socket = Protocol::socket;
using Acceptor = net::basic_socket_acceptor<Protocol>;

}  // namespace cairn::apihttp
