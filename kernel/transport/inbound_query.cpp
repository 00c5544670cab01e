// InboundSession::readQuery: the answering side of a peer query (a HashKV
// request, hashkv_query.h, or a forwarded MemberPromote, promote_query.h)
// on a connection of its own. The hello reply is
// written with the answer, since the asker sent its request right behind
// its hello.
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "inbound_session.h"

namespace cairn::transport {
namespace asio = boost::asio;

void InboundSession::readQuery(
    std::function<void(const raftpb::Message&, std::function<void(raftpb::Message&&)>)> serve) {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(readBuf_), [self, serve = std::move(serve)](
                                                      const boost::system::error_code& ec,
                                                      std::size_t n) mutable {
    if (ec) {
      self->end();
      return;
    }
    self->decoder_.feed(std::string_view(self->readBuf_.data(), n));
    raftpb::Message request;
    Status error;
    if (!self->decoder_.next(&request, &error)) {
      if (!error) {
        self->end();
        return;
      }
      self->readQuery(std::move(serve));
      return;
    }
    // The answer may come from another thread (the store is hashed off
    // the io thread); the write goes back to the session's executor.
    serve(request, [self](raftpb::Message&& answer) {
      auto executor = self->socket_.get_executor();
      asio::post(executor, [self, answer = std::move(answer)] {
        appendFrame(answer, &self->replyBuf_);
        asio::async_write(self->socket_, asio::buffer(self->replyBuf_),
                          [self](const boost::system::error_code&, std::size_t) { self->end(); });
      });
    });
  });
}

}  // namespace cairn::transport
