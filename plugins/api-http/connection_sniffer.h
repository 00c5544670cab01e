// ConnectionSniffer: decides an accepted connection's protocol from its
// first bytes, peeked (MSG_PEEK) so nothing is consumed, then hands the
// socket over whole: an HTTP/2 preface to the "h2" connection handler (gRPC),
// anything else to an HttpSession.
//
// A client that sent only part of the preface is peeked again after a short
// pause (the socket stays readable, so waiting for readability would spin);
// one still short of a decision kSniffTimeout after it connected is dropped.
// A client that sends nothing holds a descriptor (as with etcd's cmux),
// never a thread.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "asio_types.h"
#include "cairn/connection.h"
#include "router.h"

namespace cairn::apihttp {

class ConnectionSniffer : public std::enable_shared_from_this<ConnectionSniffer> {
 public:
  static constexpr std::chrono::seconds kSniffTimeout{30};
  static constexpr std::chrono::milliseconds kRepeekDelay{5};

  // `h2` may be null (no gRPC plugin: HTTP/2 connections are closed).
  // `router` and `h2` must outlive the io_context.
  ConnectionSniffer(Socket socket, Router& router, const ConnectionHandler* h2, uint64_t bodyLimit)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        router_(router),
        h2_(h2),
        bodyLimit_(bodyLimit),
        deadline_(std::chrono::steady_clock::now() + kSniffTimeout) {}

  void start() { waitReadable(); }

 private:
  void waitReadable();
  void peek();

  // All below: on the socket's strand only.
  Socket socket_;
  boost::asio::steady_timer timer_;
  Router& router_;
  const ConnectionHandler* const h2_;
  const uint64_t bodyLimit_;
  const std::chrono::steady_clock::time_point deadline_;
};

}  // namespace cairn::apihttp
