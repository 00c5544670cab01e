// The private parts of H2GrpcConnection shared by its two source files:
// h2_grpc_connection.cpp (the socket, the HTTP/2 session, the flush) and
// h2_grpc_calls.cpp (what each kind of call does with the kernel).
#pragma once

#include <cstdint>
#include <exception>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "h2_grpc_connection.h"

namespace cairn::api {

struct H2GrpcConnection::Call {
  std::uint32_t id = 0;  // the HTTP/2 stream
  const H2Method* method = nullptr;
  RequestContext ctx;
  std::string in;  // received bytes not yet cut into messages
  // All below: guarded by mu_.
  bool headersSent = false;
  bool gotMessage = false;  // a unary call's request arrived
  bool clientDone = false;  // the client half-closed (set when its action runs)
  bool ready = false;       // listed in ready_
  bool blocked = false;     // listed in blocked_
  bool finished = false;    // trailers sent or the stream reset
  // LeaseKeepAlive, one request at a time as etcd's stream: the kernel has
  // one, and these wait (raw) for its answer, so answers keep request order.
  bool keepAliveBusy = false;
  // A list, not a deque: a deque allocates two blocks when constructed, and
  // every unary call makes a Call.
  std::list<std::string> keepAlives;
  // I/O thread only; closed there, outside mu_ (close() may wait for an
  // onReady that takes mu_).
  std::unique_ptr<WatchSession> watch;
  std::unique_ptr<StreamCall> stream;
};

// Work found while the session parsed (under mu_), run after it on the I/O
// thread without the lock: into the kernel, or into a stream's session.
struct H2GrpcConnection::Action {
  enum class Kind { Unary, Open, Message, ClientDone };
  Kind kind;
  std::shared_ptr<Call> call;
  std::uint32_t id;
  std::string bytes;
};

// Buffers of the I/O thread, shared by its connections (one runs at a
// time): a thousand connections do not each keep a read buffer and a
// burst's worth of polled watch responses.
struct IoBuffers {
  std::string read = std::string(64 * 1024, '\0');
  std::string poll;
  std::string batch;
};
IoBuffers& ioBuffers();

// Runs `fn`; an exception becomes INTERNAL "cairn: <what> failed: <why>",
// as the gRPC C++ path words it: a kernel or plugin that throws fails its
// call, never the I/O thread.
template <typename Fn>
std::optional<Status> guarded(const std::string& what, Fn&& fn) {
  try {
    fn();
    return std::nullopt;
  } catch (const std::exception& e) {
    return Status(StatusCode::Internal, "cairn: " + what + " failed: " + e.what());
  } catch (...) {
    return Status(StatusCode::Internal, "cairn: " + what + " failed: unknown exception");
  }
}

}  // namespace cairn::api
