// HttpSession: one HTTP/1.x connection served with Beast, kept alive across
// requests as Go's server keeps it (until the client closes or asks to).
//
// Runs on its socket's strand; a request answered later (on a kernel
// thread) is posted back to it. One request at a time, as HTTP/1.1 without
// pipelined answers.
//
// A streaming gateway route (GatewayStream) answers with a chunked body that
// lasts as long as its call: the session writes one chunk at a time and
// takes the next when the write completes or the call signals it is ready,
// so a client that stops reading holds back only its own call, whose backlog
// the kernel bounds. Meanwhile the session reads from the socket to notice
// the client going away (Go's server does the same background read) and
// closes the call then.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>

#include "asio_types.h"
#include "gateway_stream.h"
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

  // Streaming responses (http_session_stream.cpp).
  void startStream(JsonGateway& gateway, const Request& req, bool keepAlive);
  void pumpStream();
  void writeStreamHead(http::status status);
  void writeStreamChunk();
  void writeLastChunk();
  void endStream();
  void failStream();
  void watchPeer();
  void onPeerRead(boost::beast::error_code ec, std::size_t n);

  // All below: on the socket's strand only.
  Socket socket_;
  Router& router_;
  const uint64_t bodyLimit_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;  // the response being written

  // The streaming call being answered, if any, and its write state.
  std::unique_ptr<GatewayStream> stream_;
  std::string chunk_;           // the chunk being written
  bool chunkEndsBody_ = false;  // the body ends after chunk_
  bool streamWriting_ = false;  // a head or chunk write is in flight
  bool streamHeadSent_ = false;
  bool streamKeepAlive_ = false;
  unsigned streamVersion_ = 11;
  bool watchingPeer_ = false;      // a read for the client's close is in flight
  bool resumeAfterWatch_ = false;  // that read was cancelled to read requests again
  std::optional<http::response<http::empty_body>> streamHead_;
  std::optional<http::response_serializer<http::empty_body>> streamHeadWriter_;
};

}  // namespace cairn::apihttp
