// HttpSession's streaming responses: see http_session.h.
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "http_session.h"
#include "json_gateway.h"

namespace cairn::apihttp {
namespace {

// What the session reads at a time while it watches for the client's close,
// and how much it keeps (a pipelined request, served after the stream) before
// it stops reading until the stream ends.
constexpr std::size_t kPeerReadBytes = 4096;
constexpr std::size_t kMaxBufferedWhileStreaming = 64 * 1024;

}  // namespace

void HttpSession::startStream(JsonGateway& gateway, const Request& req, bool keepAlive) {
  std::weak_ptr<HttpSession> weak = weak_from_this();
  auto onReady = [weak] {
    if (auto self = weak.lock()) {
      boost::asio::post(self->socket_.get_executor(), [self] { self->pumpStream(); });
    }
  };
  Response error;
  stream_ = gateway.openStream(req, std::move(onReady), &error);
  if (!stream_) {
    write(std::move(error), keepAlive);
    return;
  }
  streamKeepAlive_ = keepAlive;
  streamVersion_ = req.version();
  streamHeadSent_ = false;
  streamWriting_ = false;
  watchPeer();
  pumpStream();
}

void HttpSession::pumpStream() {
  if (!stream_ || streamWriting_) return;
  switch (stream_->next(&chunk_)) {
    case GatewayStream::Step::Idle:
      return;
    case GatewayStream::Step::Chunk:
      chunkEndsBody_ = false;
      break;
    case GatewayStream::Step::End:
      chunkEndsBody_ = true;
      break;
  }
  streamWriting_ = true;
  if (streamHeadSent_) {
    writeStreamChunk();
  } else {
    writeStreamHead(stream_->endStatus());
  }
}

void HttpSession::writeStreamHead(http::status status) {
  streamHead_.emplace(status, streamVersion_);
  streamHead_->set(http::field::content_type, "application/json");
  if (stream_->withGrpcMetadata()) {
    streamHead_->set("Grpc-Metadata-Content-Type", "application/grpc");
  }
  Router::addCorsHeaders(*streamHead_);
  streamHead_->set(http::field::date, httpDate());
  streamHead_->keep_alive(streamKeepAlive_);
  streamHead_->chunked(true);
  streamHeadWriter_.emplace(*streamHead_);
  http::async_write_header(socket_, *streamHeadWriter_,
                           [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                             if (ec) return self->failStream();
                             self->streamHeadSent_ = true;
                             self->writeStreamChunk();
                           });
}

void HttpSession::writeStreamChunk() {
  if (chunk_.empty()) {
    if (chunkEndsBody_) {
      writeLastChunk();
    } else {
      streamWriting_ = false;
      pumpStream();
    }
    return;
  }
  boost::asio::async_write(socket_, http::make_chunk(boost::asio::buffer(chunk_)),
                           [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                             if (ec) return self->failStream();
                             if (self->chunkEndsBody_) return self->writeLastChunk();
                             self->streamWriting_ = false;
                             self->pumpStream();
                           });
}

void HttpSession::writeLastChunk() {
  boost::asio::async_write(socket_, http::make_chunk_last(),
                           [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                             if (ec) return self->failStream();
                             self->streamWriting_ = false;
                             self->endStream();
                           });
}

// The body is complete: the connection serves its next request, as Go's
// server keeps it alive after a streamed response.
void HttpSession::endStream() {
  stream_.reset();
  streamHeadWriter_.reset();
  streamHead_.reset();
  if (!streamKeepAlive_) {
    close();
    return;
  }
  if (watchingPeer_) {
    // Stop the close-watching read; its handler reads the next request.
    resumeAfterWatch_ = true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    return;
  }
  readRequest();
}

void HttpSession::failStream() {
  stream_.reset();
  close();
}

void HttpSession::watchPeer() {
  watchingPeer_ = true;
  socket_.async_read_some(buffer_.prepare(kPeerReadBytes),
                          [self = shared_from_this()](boost::beast::error_code ec, std::size_t n) {
                            self->onPeerRead(ec, n);
                          });
}

void HttpSession::onPeerRead(boost::beast::error_code ec, std::size_t n) {
  watchingPeer_ = false;
  if (!ec) buffer_.commit(n);
  if (stream_) {
    if (ec) {
      // The client went away (or the socket failed): end its call.
      failStream();
      return;
    }
    if (buffer_.size() < kMaxBufferedWhileStreaming) watchPeer();
    return;
  }
  // The stream ended while this read was in flight.
  if (resumeAfterWatch_) {
    resumeAfterWatch_ = false;
    if (!ec || ec == boost::asio::error::operation_aborted) {
      readRequest();
      return;
    }
  }
  close();
}

}  // namespace cairn::apihttp
