#include "cluster_query.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <functional>

#include "frame_codec.h"
#include "hello.h"
#include "peer_socket.h"

namespace cairn::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

Status queryCluster(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                    uint64_t* clusterId, std::string* answer) {
  asio::io_context io;
  tcp::resolver resolver(io);
  const std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  if (url.scheme == "https" && tls == nullptr) {
    return Status(StatusCode::Unavailable, url.raw + ": no TLS configuration for an https:// URL");
  }
  std::unique_ptr<PeerSocket> connection = url.scheme == "https"
                                               ? tls->dialSocket(tcp::socket(io), host)
                                               : std::make_unique<PeerSocket>(tcp::socket(io));
  PeerSocket& socket = *connection;
  std::string failure = "no answer";
  bool done = false;
  const std::string hello = encodeHello(Hello{0, 0, 0, Lane::Priority});
  std::array<char, kHelloReplyBytes> replyBuf{};
  std::array<char, 64 * 1024> readBuf{};
  FrameDecoder decoder(64u << 20);

  // Each step hands over to the next; any error ends the exchange.
  std::function<void()> readAnswer = [&] {
    socket.async_read_some(asio::buffer(readBuf),
                           [&](const boost::system::error_code& ec, std::size_t n) {
                             if (ec) {
                               failure = ec.message();
                               return;
                             }
                             decoder.feed(std::string_view(readBuf.data(), n));
                             raftpb::Message m;
                             Status error;
                             if (decoder.next(&m, &error)) {
                               *answer = m.context();
                               done = true;
                               return;
                             }
                             if (!error) {
                               failure = error.message();
                               return;
                             }
                             readAnswer();
                           });
  };
  resolver.async_resolve(
      host, std::to_string(url.port),
      [&](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) {
          failure = ec.message();
          return;
        }
        asio::async_connect(
            socket.tcp(), results, [&](const boost::system::error_code& cec, const tcp::endpoint&) {
              if (cec) {
                failure = cec.message();
                return;
              }
              socket.handshake(
                  asio::ssl::stream_base::client, [&](const boost::system::error_code& hec) {
                    if (hec) {
                      failure = hec.message();
                      return;
                    }
                    if (socket.secure()) {
                      failure = tls->checkOtherSide(*socket.tls(), false, host);
                      if (!failure.empty()) return;
                      failure = "no answer";
                    }
                    asio::async_write(
                        socket, asio::buffer(hello),
                        [&](const boost::system::error_code& wec, std::size_t) {
                          if (wec) {
                            failure = wec.message();
                            return;
                          }
                          asio::async_read(
                              socket, asio::buffer(replyBuf),
                              [&](const boost::system::error_code& rec, std::size_t) {
                                HelloReply reply;
                                if (rec || !decodeHelloReply(
                                               std::string_view(replyBuf.data(), replyBuf.size()),
                                               &reply)) {
                                  failure = rec ? rec.message() : "not a Cairn peer";
                                  return;
                                }
                                if (reply.status != HelloStatus::Accepted) {
                                  failure = "the peer does not describe its cluster";
                                  return;
                                }
                                *clusterId = reply.clusterId;
                                readAnswer();
                              });
                        });
                  });
            });
      });
  io.run_for(timeout);
  if (done) return Status::ok();
  return Status(StatusCode::Unavailable, url.raw + ": " + failure);
}

}  // namespace cairn::transport
