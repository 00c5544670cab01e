// SnapshotChannel: the blocking byte stream of one snapshot connection,
// plain TCP (http:// peer URLs) or TLS (https://), for the snapshot
// threads (SnapshotSender, SnapshotReceiver), which never run on the
// transport's io thread.
//
// A channel is made from a connected PeerSocket whose TLS handshake (and
// the checks of the other side's certificate, PeerTls::checkOtherSide)
// already completed through Asio, so a snapshot connection is verified
// exactly as every other peer connection. adopt() then takes the socket's
// descriptor and, over TLS, its OpenSSL session: the session's records go
// on over the descriptor directly (SSL_set_fd), blocking, with the socket's
// send and receive timeouts. That is only sound when nothing the other side
// sent is left in Asio's buffers, which the snapshot protocol guarantees
// (each side waits for the other's answer before writing more) and adopt()
// checks; a channel over TLS never falls back to plain bytes.
//
// Threads: read and write from one thread at a time, which blocks SIGPIPE
// (OpenSSL writes with write(2), which raises it when the other side has
// gone); shutdown() from any thread (a blocked read or write fails at once).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "cairn/status.h"
#include "peer_socket.h"

namespace cairn::transport {

class SnapshotChannel {
 public:
  // Takes over `socket` (connected, handshaken, with no operation pending);
  // the socket is left closed either way.
  static Status adopt(PeerSocket& socket, std::unique_ptr<SnapshotChannel>* out);
  ~SnapshotChannel();
  SnapshotChannel(const SnapshotChannel&) = delete;
  SnapshotChannel& operator=(const SnapshotChannel&) = delete;

  bool secure() const { return ssl_ != nullptr; }
  // Longest wait for one read or write of the descriptor.
  void setTimeouts(std::chrono::milliseconds timeout);
  Status writeAll(std::string_view data);
  Status readExact(char* out, std::size_t size);
  // Shuts the connection down (both directions); any thread.
  void shutdown();

 private:
  SnapshotChannel(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  Status tlsError(const char* what, int ret);

  const int fd_;    // owned; closed by the destructor
  SSL* const ssl_;  // owned reference (null when plain); the reading/writing thread
};

}  // namespace cairn::transport
