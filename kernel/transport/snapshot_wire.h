// The snapshot connection's wire format and blocking socket helpers, shared
// by SnapshotSender and the receiver.
//
// After the hello (lane Snapshot) the sender writes one frame carrying the
// MsgSnap (frame_codec.h; its snapshot's data left out), then the backend
// state in chunks, each a 4-byte big-endian length (1..kMaxSnapshotChunk)
// and its bytes, then an end mark: a zero length, the total byte count
// (8 bytes) and the CRC-32C of every chunk byte (4 bytes), all big-endian.
// The receiver answers one byte, kSnapshotAck once the state is on disk and
// the MsgSnap went to raft, anything else (or a closed connection) when it
// failed. Both ends use blocking descriptors with send/receive timeouts on
// threads of their own, never the transport's io thread.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::transport {

inline constexpr uint32_t kMaxSnapshotChunk = 16u << 20;
inline constexpr char kSnapshotAck = 0;
inline constexpr char kSnapshotNack = 1;

namespace snapshot_wire {

inline void setTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline Status errnoStatus(const char* what) {
  const int e = errno;
  return Status(StatusCode::Unavailable,
                std::string(what) + ": " +
                    (e == EAGAIN || e == EWOULDBLOCK ? "i/o timeout" : std::strerror(e)));
}

inline Status writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus("write");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

inline Status readExact(int fd, char* out, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::recv(fd, out, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus("read");
    }
    if (n == 0) return Status(StatusCode::Unavailable, "read: unexpected EOF");
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::ok();
}

inline void putBe(std::string* out, uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

inline uint64_t getBe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace snapshot_wire
}  // namespace cairn::transport
