#include "peer_query.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "frame_codec.h"
#include "peer_socket.h"

namespace cairn::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The asker's side of one exchange, every step on the io_context that
// askPeer runs; any error ends it with `failure` set.
struct Exchange {
  Exchange(asio::io_context& io, std::unique_ptr<PeerSocket> connection, std::size_t maxBytes)
      : resolver(io), owned(std::move(connection)), socket(*owned), decoder(maxBytes) {}

  void connected(const PeerTls* tls, const std::string& host) {
    socket.handshake(asio::ssl::stream_base::client,
                     [this, tls, host](const boost::system::error_code& ec) {
                       if (ec) {
                         failure = ec.message();
                         return;
                       }
                       if (socket.secure()) {
                         if (Status why = tls->checkOtherSide(*socket.tls(), false, host); !why) {
                           failure = why.message();
                           return;
                         }
                       }
                       asio::async_write(socket, asio::buffer(out),
                                         [this](const boost::system::error_code& wec, std::size_t) {
                                           if (wec) {
                                             failure = wec.message();
                                             return;
                                           }
                                           readReply();
                                         });
                     });
  }

  void readReply() {
    asio::async_read(
        socket, asio::buffer(replyBuf), [this](const boost::system::error_code& ec, std::size_t) {
          if (ec || !decodeHelloReply(std::string_view(replyBuf.data(), replyBuf.size()),
                                      &result->reply)) {
            failure = ec ? ec.message() : "not a Cairn peer";
            return;
          }
          if (result->reply.status != HelloStatus::Accepted) {
            done = true;
            return;
          }
          readAnswer();
        });
  }

  void readAnswer() {
    socket.async_read_some(asio::buffer(readBuf),
                           [this](const boost::system::error_code& ec, std::size_t n) {
                             if (ec) {
                               failure = ec.message();
                               return;
                             }
                             decoder.feed(std::string_view(readBuf.data(), n));
                             Status error;
                             if (decoder.next(&result->answer, &error)) {
                               done = true;
                               return;
                             }
                             if (!error) {
                               failure = error.message();
                               return;
                             }
                             readAnswer();
                           });
  }

  tcp::resolver resolver;
  std::unique_ptr<PeerSocket> owned;
  PeerSocket& socket;
  std::string out;
  PeerAnswer* result = nullptr;
  std::array<char, kHelloReplyBytes> replyBuf{};
  std::array<char, 64 * 1024> readBuf{};
  FrameDecoder decoder;
  std::string failure = "no answer";
  bool done = false;
};

}  // namespace

Status askPeer(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
               const std::string& out, std::size_t maxAnswerBytes, PeerAnswer* result) {
  const std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  const bool secure = url.scheme == "https";
  if (secure && tls == nullptr) {
    return Status(StatusCode::Unavailable, url.raw + ": no TLS configuration for an https:// URL");
  }
  asio::io_context io;
  Exchange x(io,
             secure ? tls->dialSocket(tcp::socket(io), host)
                    : std::make_unique<PeerSocket>(tcp::socket(io)),
             maxAnswerBytes);
  x.out = out;
  x.result = result;
  x.resolver.async_resolve(
      host, std::to_string(url.port),
      [&x, tls, host](const boost::system::error_code& ec,
                      const tcp::resolver::results_type& results) {
        if (ec) {
          x.failure = ec.message();
          return;
        }
        asio::async_connect(
            x.socket.tcp(), results,
            [&x, tls, host](const boost::system::error_code& cec, const tcp::endpoint&) {
              if (cec) {
                x.failure = cec.message();
                return;
              }
              x.connected(tls, host);
            });
      });
  io.run_for(timeout);
  if (!x.done) return Status(StatusCode::Unavailable, url.raw + ": " + x.failure);
  return Status::ok();
}

}  // namespace cairn::transport
