#include "http_session.h"

#include <boost/asio/post.hpp>

namespace cairn::apihttp {
namespace {

// Go's MaxHeaderBytes default (1 MiB).
constexpr uint32_t kHeaderLimit = 1 << 20;

}  // namespace

void HttpSession::readRequest() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(bodyLimit_);
  http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](boost::beast::error_code ec, std::size_t) { self->onRead(ec); });
}

void HttpSession::onRead(boost::beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
      ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset) {
    close();
    return;
  }
  if (ec == http::error::header_limit) {
    // Go answers an oversized header so, then closes.
    write(goHttpError(http::status::request_header_fields_too_large, 11,
                      "431 Request Header Fields Too Large"),
          false);
    return;
  }
  if (ec == http::error::body_limit) {
    write(goHttpError(http::status::payload_too_large, 11, "413 Request Entity Too Large"), false);
    return;
  }
  if (ec) {
    // A malformed request: Go's server answers 400 and closes.
    Response res =
        makeResponse(http::status::bad_request, 11, "text/plain; charset=utf-8", "400 Bad Request");
    res.set(http::field::connection, "close");
    write(std::move(res), false);
    return;
  }
  Request req = parser_->release();
  const bool keepAlive = req.keep_alive();
  if (JsonGateway* gateway = router_.gateway(); gateway != nullptr && gateway->isStream(req)) {
    startStream(*gateway, req, keepAlive);
    return;
  }
  router_.handle(req, [self = shared_from_this(), keepAlive](Response res) {
    // The router may answer on a kernel thread: hop back to the strand.
    boost::asio::post(self->socket_.get_executor(),
                      [self, keepAlive, res = std::move(res)]() mutable {
                        self->write(std::move(res), keepAlive);
                      });
  });
}

void HttpSession::write(Response res, bool keepAlive) {
  Router::addCorsHeaders(res);
  res.set(http::field::date, httpDate());
  res.keep_alive(keepAlive);
  response_ = std::move(res);
  http::async_write(socket_, response_,
                    [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                      if (ec || !self->response_.keep_alive()) {
                        self->close();
                        return;
                      }
                      self->readRequest();
                    });
}

void HttpSession::close() {
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
  socket_.close(ignored);
}

}  // namespace cairn::apihttp
