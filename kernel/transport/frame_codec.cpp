#include "frame_codec.h"

namespace cairn::transport {

void appendFrame(const raftpb::Message& m, std::string* out) {
  const std::size_t size = m.ByteSizeLong();
  const std::size_t at = out->size();
  out->resize(at + kFrameHeaderBytes + size);
  auto* p = reinterpret_cast<uint8_t*>(out->data() + at);
  p[0] = static_cast<uint8_t>(size >> 24);
  p[1] = static_cast<uint8_t>(size >> 16);
  p[2] = static_cast<uint8_t>(size >> 8);
  p[3] = static_cast<uint8_t>(size);
  m.SerializeWithCachedSizesToArray(p + kFrameHeaderBytes);
}

bool FrameDecoder::next(raftpb::Message* out, Status* error) {
  if (buffered() < kFrameHeaderBytes) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data() + consumed_);
  const std::size_t size = (static_cast<std::size_t>(p[0]) << 24) |
                           (static_cast<std::size_t>(p[1]) << 16) |
                           (static_cast<std::size_t>(p[2]) << 8) | static_cast<std::size_t>(p[3]);
  if (size > maxFrameBytes_) {
    *error = Status(StatusCode::DataLoss, "peer frame of " + std::to_string(size) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(maxFrameBytes_));
    return false;
  }
  if (buffered() < kFrameHeaderBytes + size) return false;
  if (!out->ParseFromArray(p + kFrameHeaderBytes, static_cast<int>(size))) {
    *error = Status(StatusCode::DataLoss, "peer frame is not a raft message");
    return false;
  }
  consumed_ += kFrameHeaderBytes + size;
  // Compact once the decoded prefix dominates, so the buffer stays bounded
  // by about one frame plus one read.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 64 * 1024 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return true;
}

}  // namespace cairn::transport
