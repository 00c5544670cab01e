#include "inbound_session.h"

#include <openssl/ssl.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "peer_ids.h"

namespace cairn::transport {
namespace {
namespace asio = boost::asio;
}  // namespace

InboundSession::InboundSession(PeerSocket socket, const PeerTls* tls, Logger& logger,
                               std::size_t maxFrameBytes, Accept accept,
                               const Transport::Deliver& deliver, Ended ended)
    : socket_(std::move(socket)),
      tls_(tls),
      logger_(logger),
      decoder_(maxFrameBytes),
      accept_(std::move(accept)),
      deliver_(deliver),
      ended_(std::move(ended)) {}

void InboundSession::start() {
  boost::system::error_code ignored;
  socket_.tcp().set_option(asio::ip::tcp::no_delay(true), ignored);
  auto self = shared_from_this();
  socket_.handshake(asio::ssl::stream_base::server, [self](const boost::system::error_code& ec) {
    if (ec) {
      self->rejected(PeerTls::handshakeError(self->socket_, ec));
      return;
    }
    self->handshaken();
  });
}

void InboundSession::handshaken() {
  if (socket_.secure() && tls_ != nullptr) {
    boost::system::error_code ec;
    const auto remote = socket_.tcp().remote_endpoint(ec);
    const Status why = tls_->checkOtherSide(*socket_.tls(), true,
                                            ec ? std::string() : remote.address().to_string());
    if (!why) {
      rejected(why.message());
      return;
    }
  }
  readHello();
}

// etcd's logTLSHandshakeFailure.
void InboundSession::rejected(const std::string& why) {
  if (socket_.secure()) {
    boost::system::error_code ec;
    const auto remote = socket_.tcp().remote_endpoint(ec);
    const char* serverName =
        SSL_get_servername(socket_.tls()->native_handle(), TLSEXT_NAMETYPE_host_name);
    logger_.warn("embed/config_logging.go", "rejected connection",
                 jsonField("remote-addr", ec ? std::string()
                                             : remote.address().to_string() + ":" +
                                                   std::to_string(remote.port())) +
                     "," + jsonField("server-name", serverName != nullptr ? serverName : "") + "," +
                     jsonField("error", why));
  }
  end();
}

void InboundSession::readHello() {
  auto self = shared_from_this();
  asio::async_read(
      socket_, asio::buffer(helloBuf_), [self](const boost::system::error_code& ec, std::size_t) {
        if (ec) {
          self->end();
          return;
        }
        Hello hello;
        HelloReply reply;
        reply.status = HelloStatus::UnknownMember;
        if (decodeHello(std::string_view(self->helloBuf_.data(), kHelloBytes), &hello)) {
          reply = self->accept_(hello);
        }
        self->replyBuf_ = encodeHelloReply(reply);
        if (reply.status == HelloStatus::Accepted && reply.serveQuery) {
          self->readQuery(std::move(reply.serveQuery));
          return;
        }
        // A cluster query's answer follows the reply; nothing is read after.
        const bool accepted = reply.status == HelloStatus::Accepted && !isClusterQuery(hello);
        if (reply.status == HelloStatus::Accepted && isClusterQuery(hello)) {
          raftpb::Message answer;
          answer.set_context(std::move(reply.answer));
          appendFrame(answer, &self->replyBuf_);
        }
        self->hello_ = hello;
        asio::async_write(self->socket_, asio::buffer(self->replyBuf_),
                          [self, accepted](const boost::system::error_code& wec, std::size_t) {
                            if (wec || !accepted) {
                              self->end();
                              return;
                            }
                            if (self->hello_.lane == Lane::Snapshot) {
                              self->handOffSnapshotConnection();
                              return;
                            }
                            self->readFrames();
                          });
      });
}

void InboundSession::readFrames() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(readBuf_),
                          [self](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) {
                              self->end();
                              return;
                            }
                            self->decoder_.feed(std::string_view(self->readBuf_.data(), n));
                            raftpb::Message m;
                            Status error;
                            while (self->decoder_.next(&m, &error)) {
                              self->deliver_(std::move(m));
                              m.Clear();
                            }
                            if (!error) {
                              self->end();
                              return;
                            }
                            self->readFrames();
                          });
}

void InboundSession::handOffSnapshotConnection() {
  // The TLS session (already checked as every peer connection is) goes on
  // in the receiver; a connection that cannot be taken over just ends, and
  // the sender sees it fail.
  if (snapshotConnection_) {
    std::unique_ptr<SnapshotChannel> channel;
    if (Status st = SnapshotChannel::adopt(socket_, &channel); st) {
      snapshotConnection_(hello_, std::move(channel));
    } else {
      logger_.warn(
          "rafthttp/http.go", "failed to take over a snapshot connection",
          jsonField("remote-peer-id", idHex(hello_.from)) + "," + jsonField("error", st.message()));
    }
  }
  end();
}

void InboundSession::close() {
  socket_.close();
}

void InboundSession::end() {
  close();
  if (!ended_called_) {
    ended_called_ = true;
    ended_(this);
  }
}

}  // namespace cairn::transport
