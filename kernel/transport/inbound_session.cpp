#include "inbound_session.h"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace cairn::transport {
namespace {
namespace asio = boost::asio;
}  // namespace

InboundSession::InboundSession(asio::ip::tcp::socket socket, std::size_t maxFrameBytes,
                               Accept accept, const Transport::Deliver& deliver, Ended ended)
    : socket_(std::move(socket)),
      decoder_(maxFrameBytes),
      accept_(std::move(accept)),
      deliver_(deliver),
      ended_(std::move(ended)) {}

void InboundSession::start() {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
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
  if (snapshotConnection_) snapshotConnection_(hello_, std::move(socket_));
  end();
}

void InboundSession::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void InboundSession::end() {
  close();
  if (!ended_called_) {
    ended_called_ = true;
    ended_(this);
  }
}

}  // namespace cairn::transport
