// Session, the sending side: answers (HEADERS, DATA under flow control,
// trailers), resets, PING and GOAWAY, and the output the caller writes.
// The receiving side is session.cpp.
#include <algorithm>
#include <string>

#include "h2/session.h"

namespace cairn::api::h2 {

void Session::ping() {
  if (failed_) return;
  appendFrameHeader(&out_, 8, FrameType::Ping, 0, 0);
  out_.append(8, '\0');
}

void Session::goAway(ErrorCode code, std::string_view debug) {
  if (goingAway_) return;
  goingAway_ = true;
  appendFrameHeader(&out_, static_cast<std::uint32_t>(8 + debug.size()), FrameType::Goaway, 0, 0);
  appendU32(&out_, lastAccepted_);
  appendU32(&out_, static_cast<std::uint32_t>(code));
  out_.append(debug);
}

void Session::writeHeaderBlock(std::uint32_t id, std::span<const HeaderField> fields,
                               bool endStream) {
  framedData_ = true;
  // Encoded here, as the block enters the output: the peer's decoder
  // updates its table in the order blocks arrive.
  blockScratch_.clear();
  encoder_.encodeBlock(fields, &blockScratch_);
  std::string_view block = blockScratch_;
  // Split into HEADERS + CONTINUATION frames of the peer's frame size.
  std::uint8_t first = endStream ? flags::kEndStream : 0;
  FrameType type = FrameType::Headers;
  do {
    const std::size_t n = std::min<std::size_t>(block.size(), peerMaxFrame_);
    const bool last = n == block.size();
    appendFrameHeader(&out_, static_cast<std::uint32_t>(n), type,
                      static_cast<std::uint8_t>(first | (last ? flags::kEndHeaders : 0)), id);
    out_.append(block.substr(0, n));
    block.remove_prefix(n);
    type = FrameType::Continuation;
    first = 0;
  } while (!block.empty());
}

void Session::sendHeaders(std::uint32_t stream, std::span<const HeaderField> fields) {
  if (streams_.find(stream) == streams_.end() || failed_) return;
  writeHeaderBlock(stream, fields, false);
}

void Session::sendData(std::uint32_t stream, std::string_view bytes) {
  const auto it = streams_.find(stream);
  if (it == streams_.end() || failed_ || it->second.trailersQueued) return;
  Stream& s = it->second;
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (s.pending.size() == s.pendingOffset && s.sendWindow >= size && connSendWindow_ >= size) {
    // Nothing waits on the stream and both windows take it all: framed
    // straight into the output, without a stop in the stream's queue.
    s.sendWindow -= size;
    connSendWindow_ -= size;
    framedData_ = true;
    while (!bytes.empty()) {
      const std::size_t n = std::min<std::size_t>(bytes.size(), peerMaxFrame_);
      appendFrameHeader(&out_, static_cast<std::uint32_t>(n), FrameType::Data, 0, stream);
      out_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
    return;
  }
  s.pending.append(bytes);
  if (s.sendWindow > 0) enqueueSend(stream, s);
}

void Session::sendTrailers(std::uint32_t stream, std::span<const HeaderField> fields) {
  const auto it = streams_.find(stream);
  if (it == streams_.end() || failed_ || it->second.trailersQueued) return;
  Stream& s = it->second;
  if (s.pending.size() == s.pendingOffset) {
    writeHeaderBlock(stream, fields, true);
    closeStream(stream);
    return;
  }
  s.trailersQueued = true;
  s.trailers.clear();
  for (const HeaderField& f : fields) {
    s.trailers.push_back(QueuedField{std::string(f.name), std::string(f.value), f.reused});
  }
}

void Session::resetStream(std::uint32_t stream, ErrorCode code) {
  if (!forget(stream) || failed_) return;
  appendFrameHeader(&out_, 4, FrameType::RstStream, 0, stream);
  appendU32(&out_, static_cast<std::uint32_t>(code));
}

std::size_t Session::queuedBytes(std::uint32_t stream) const {
  const auto it = streams_.find(stream);
  if (it == streams_.end()) return 0;
  return it->second.pending.size() - it->second.pendingOffset;
}

void Session::closeStream(std::uint32_t id) {
  const auto it = streams_.find(id);
  if (it == streams_.end()) return;
  // Answered before the client half-closed (a request refused while still
  // arriving): tell it to stop sending, as grpc-go's server does.
  if (!it->second.remoteClosed) {
    appendFrameHeader(&out_, 4, FrameType::RstStream, 0, id);
    appendU32(&out_, static_cast<std::uint32_t>(ErrorCode::NoError));
  }
  forget(id);
}

void Session::enqueueSend(std::uint32_t id, Stream& s) {
  if (s.inSendQueue || (s.pending.size() == s.pendingOffset && !s.trailersQueued)) return;
  s.inSendQueue = true;
  sendQueue_.push_back(id);
}

void Session::flushData() {
  // Round robin while the connection's window lasts, with as many frames per
  // turn as the stream's window allows: few turns for a stream that has a
  // lot matters more than strict fairness. A stream whose own window is
  // spent leaves the queue until its WINDOW_UPDATE. The output stops
  // growing at kMaxOutput; the rest goes in the next write.
  constexpr std::size_t kMaxOutput = 1u << 20;
  while (!sendQueue_.empty() && connSendWindow_ > 0 && out_.size() < kMaxOutput) {
    const std::uint32_t id = sendQueue_.front();
    sendQueue_.pop_front();
    const auto it = streams_.find(id);
    if (it == streams_.end()) continue;
    Stream& s = it->second;
    s.inSendQueue = false;
    std::size_t left = s.pending.size() - s.pendingOffset;
    while (left > 0 && s.sendWindow > 0 && connSendWindow_ > 0) {
      framedData_ = true;
      const std::size_t n =
          std::min<std::size_t>({left, peerMaxFrame_, static_cast<std::size_t>(s.sendWindow),
                                 static_cast<std::size_t>(connSendWindow_)});
      appendFrameHeader(&out_, static_cast<std::uint32_t>(n), FrameType::Data, 0, id);
      out_.append(s.pending, s.pendingOffset, n);
      s.pendingOffset += n;
      left -= n;
      s.sendWindow -= static_cast<std::int64_t>(n);
      connSendWindow_ -= static_cast<std::int64_t>(n);
    }
    if (left == 0) {
      // A drained queue gives its memory back unless it is small: a
      // thousand idle watch streams must not each keep a burst's buffer.
      if (s.pending.capacity() > 4096) {
        std::string().swap(s.pending);
      } else {
        s.pending.clear();
      }
      s.pendingOffset = 0;
      if (s.trailersQueued) {
        std::vector<HeaderField> fields;
        fields.reserve(s.trailers.size());
        for (const QueuedField& f : s.trailers) fields.push_back({f.name, f.value, f.reused});
        writeHeaderBlock(id, fields, true);
        closeStream(id);
      }
      continue;
    }
    if (s.pendingOffset > (1u << 16) && s.pendingOffset > left) {
      s.pending.erase(0, s.pendingOffset);
      s.pendingOffset = 0;
    }
    if (s.sendWindow > 0) {
      // Only the connection's window stopped it: first in line next time.
      s.inSendQueue = true;
      sendQueue_.push_front(id);
      break;
    }
  }
}

void Session::takeOutput(std::string* out) {
  if (!failed_) flushData();
  out->clear();
  out->swap(out_);
}

bool Session::hasOutput() const {
  if (!out_.empty()) return true;
  if (failed_ || connSendWindow_ <= 0) return false;
  return !sendQueue_.empty();
}

}  // namespace cairn::api::h2
