// The snapshot connection's wire format, shared by SnapshotSender and the
// receiver.
//
// After the hello (lane Snapshot) the sender writes one frame carrying the
// MsgSnap (frame_codec.h; its snapshot's data left out), then the backend
// state in chunks, each a 4-byte big-endian length (1..kMaxSnapshotChunk)
// and its bytes, then an end mark: a zero length, the total byte count
// (8 bytes) and the CRC-32C of every chunk byte (4 bytes), all big-endian.
// The receiver answers one byte, kSnapshotAck once the state is on disk and
// the MsgSnap went to raft, anything else (or a closed connection) when it
// failed. Both ends read and write a SnapshotChannel (blocking, with
// timeouts, TLS for https://) on threads of their own, never the
// transport's io thread.
#pragma once

#include <cstdint>
#include <string>

namespace cairn::transport {

inline constexpr uint32_t kMaxSnapshotChunk = 16u << 20;
inline constexpr char kSnapshotAck = 0;
inline constexpr char kSnapshotNack = 1;

namespace snapshot_wire {

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
