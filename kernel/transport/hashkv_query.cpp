#include "hashkv_query.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>

#include "cairn/errors.h"
#include "frame_codec.h"
#include "peer_socket.h"

namespace cairn::transport {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The asker's side of one exchange, every step on one io_context run by
// queryHashKv's thread; any error ends it with `failure` set.
struct Exchange {
  Exchange(asio::io_context& io, std::unique_ptr<PeerSocket> connection)
      : resolver(io), owned(std::move(connection)), socket(*owned) {}

  void readAnswer() {
    socket.async_read_some(asio::buffer(readBuf),
                           [this](const boost::system::error_code& ec, std::size_t n) {
                             if (ec) {
                               failure = ec.message();
                               return;
                             }
                             decoder.feed(std::string_view(readBuf.data(), n));
                             Status error;
                             if (decoder.next(&answer, &error)) {
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

  void afterHello() {
    asio::async_read(
        socket, asio::buffer(replyBuf), [this](const boost::system::error_code& ec, std::size_t) {
          HelloReply reply;
          if (ec || !decodeHelloReply(std::string_view(replyBuf.data(), replyBuf.size()), &reply)) {
            failure = ec ? ec.message() : "not a Cairn peer";
            return;
          }
          if (reply.status == HelloStatus::ClusterMismatch) {
            failure = "cluster ID mismatch";
            return;
          }
          if (reply.status != HelloStatus::Accepted) {
            failure = "the peer does not answer HashKV";
            return;
          }
          readAnswer();
        });
  }

  tcp::resolver resolver;
  std::unique_ptr<PeerSocket> owned;
  PeerSocket& socket;
  std::string out;  // hello and request, written at once
  std::array<char, kHelloReplyBytes> replyBuf{};
  std::array<char, 4096> readBuf{};
  FrameDecoder decoder{1u << 20};
  raftpb::Message answer;
  std::string failure = "no answer";
  bool done = false;
};

}  // namespace

Status queryHashKv(const Url& url, const PeerTls* tls, std::chrono::milliseconds timeout,
                   uint64_t clusterId, int64_t revision, HashKvAnswer* out) {
  const std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  const bool secure = url.scheme == "https";
  if (secure && tls == nullptr) {
    return Status(StatusCode::Unavailable, url.raw + ": no TLS configuration for an https:// URL");
  }
  asio::io_context io;
  Exchange x(io, secure ? tls->dialSocket(tcp::socket(io), host)
                        : std::make_unique<PeerSocket>(tcp::socket(io)));
  x.out = encodeHello(Hello{clusterId, 0, 0, Lane::Priority});
  raftpb::Message request;
  request.set_type(static_cast<raftpb::MessageType>(kHashKvRequest));
  request.set_index(static_cast<uint64_t>(revision));
  appendFrame(request, &x.out);
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
              x.socket.handshake(
                  asio::ssl::stream_base::client,
                  [&x, tls, host](const boost::system::error_code& hec) {
                    if (hec) {
                      x.failure = hec.message();
                      return;
                    }
                    if (x.socket.secure()) {
                      if (std::string why = tls->checkOtherSide(*x.socket.tls(), false, host);
                          !why.empty()) {
                        x.failure = why;
                        return;
                      }
                    }
                    // The answerer reads the request after its hello
                    // reply; sending both at once saves a round trip.
                    asio::async_write(x.socket, asio::buffer(x.out),
                                      [&x](const boost::system::error_code& wec, std::size_t) {
                                        if (wec) {
                                          x.failure = wec.message();
                                          return;
                                        }
                                        x.afterHello();
                                      });
                  });
            });
      });
  io.run_for(timeout);
  if (!x.done) return Status(StatusCode::Unavailable, url.raw + ": " + x.failure);
  const raftpb::Message& a = x.answer;
  if (a.type() != kHashKvAnswer) {
    return Status(StatusCode::Unavailable, url.raw + ": not a HashKV answer");
  }
  if (a.reject()) {
    const auto error = static_cast<Error>(a.reject_hint());
    if (error == Error::Compacted || error == Error::FutureRev) return Status(error);
    return Status(StatusCode::Unavailable, url.raw + ": " + a.context());
  }
  out->revision = static_cast<int64_t>(a.index());
  out->compactRevision = static_cast<int64_t>(a.commit());
  out->hash = static_cast<uint32_t>(a.log_term());
  return Status::ok();
}

void serveHashKv(const raftpb::Message& request, const HashKvHandler& handler,
                 std::function<void(raftpb::Message&& answer)> reply) {
  auto answer = [reply = std::move(reply)](const Status& status, const HashKvAnswer& a) {
    raftpb::Message m;
    m.set_type(static_cast<raftpb::MessageType>(kHashKvAnswer));
    if (!status) {
      m.set_reject(true);
      m.set_reject_hint(static_cast<uint64_t>(status.error()));
      m.set_context(status.message());
    } else {
      m.set_index(static_cast<uint64_t>(a.revision));
      m.set_commit(static_cast<uint64_t>(a.compactRevision));
      m.set_log_term(a.hash);
    }
    reply(std::move(m));
  };
  if (request.type() != kHashKvRequest || !handler) {
    answer(Status(StatusCode::Unimplemented, "not a HashKV request"), HashKvAnswer{});
    return;
  }
  handler(static_cast<int64_t>(request.index()), std::move(answer));
}

}  // namespace cairn::transport
