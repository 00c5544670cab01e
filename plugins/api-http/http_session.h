// HttpSession: one HTTP/1.x connection served with Beast, kept alive across
// requests as Go's server keeps it (until the client closes or asks to).
//
// Runs on its socket's strand; a request answered later (on a kernel
// thread) is posted back to it. One request at a time, as HTTP/1.1 without
// pipelined answers.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>

#include "asio_types.h"
#include "http_types.h"
#include "router.h"

namespace cairn::apihttp {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `router` must outlive the io_context the socket runs on.
  HttpSession(Socket socket, Router& router, uint64_t bodyLimit)
      : socket_(std::move(socket)), router_(router), bodyLimit_(bodyLimit) {}

  void start() { readRequest(); }

 private:
  void readRequest();
  void onRead(boost::beast::error_code ec);
  void write(Response res, bool keepAlive);
  void close();

  // All below: on the socket's strand only.
  Socket socket_;
  Router& router_;
  const uint64_t bodyLimit_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;  // the response being written
};

}  // namespace cairn::apihttp
