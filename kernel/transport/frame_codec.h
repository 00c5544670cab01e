// Frames on a peer connection after the hello: a 4-byte big-endian length,
// then one serialized raftpb::Message. A batch is simply several frames
// written with one socket write; the reader needs no batch boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/raftpb.pb.h"
#include "cairn/status.h"

namespace cairn::transport {

inline constexpr std::size_t kFrameHeaderBytes = 4;

// Appends one frame carrying `m` to `out`.
void appendFrame(const raftpb::Message& m, std::string* out);

// Reassembles messages from the bytes of a connection, whatever pieces
// they arrive in.
class FrameDecoder {
 public:
  // Frames longer than `maxFrameBytes` are refused (a peer speaking another
  // protocol, or a corrupt stream): the connection must be dropped.
  explicit FrameDecoder(std::size_t maxFrameBytes) : maxFrameBytes_(maxFrameBytes) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole message: true and `*out` set, or false when more bytes
  // are needed. A frame too long or not a message fails `*error`; the
  // decoder is then unusable.
  bool next(raftpb::Message* out, Status* error);
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  const std::size_t maxFrameBytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already decoded
};

}  // namespace cairn::transport
