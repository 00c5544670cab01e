// Session, the receiving side: the preface, frame parsing, requests to the
// handler, flow control credit, SETTINGS/PING/GOAWAY/RST_STREAM from the
// peer. The sending side is session_send.cpp.
#include "h2/session.h"

#include <algorithm>
#include <utility>

namespace cairn::api::h2 {

namespace {

void appendSetting(std::string* out, SettingId id, std::uint32_t value) {
  const auto raw = static_cast<std::uint16_t>(id);
  out->push_back(static_cast<char>(raw >> 8));
  out->push_back(static_cast<char>(raw));
  appendU32(out, value);
}

// Strips the padding of a PADDED frame; false if the pad length does not fit.
bool stripPadding(std::uint8_t frameFlags, std::string_view* payload) {
  if ((frameFlags & flags::kPadded) == 0) return true;
  if (payload->empty()) return false;
  const auto pad = static_cast<unsigned char>((*payload)[0]);
  if (pad >= payload->size()) return false;
  *payload = payload->substr(1, payload->size() - 1 - pad);
  return true;
}

}  // namespace

Session::Session(SessionHandler& handler, const SessionSettings& settings)
    : handler_(handler),
      settings_(settings),
      decoder_(kDefaultHeaderTableSize, settings.maxHeaderListSize) {
  // The server preface: our SETTINGS, then the connection window raised
  // from the protocol's 64 KiB.
  std::string payload;
  if (settings_.maxConcurrentStreams != 0xffffffffu) {
    appendSetting(&payload, SettingId::MaxConcurrentStreams, settings_.maxConcurrentStreams);
  }
  appendSetting(&payload, SettingId::InitialWindowSize, settings_.streamWindow);
  appendSetting(&payload, SettingId::MaxHeaderListSize, settings_.maxHeaderListSize);
  appendFrameHeader(&out_, static_cast<std::uint32_t>(payload.size()), FrameType::Settings, 0, 0);
  out_ += payload;
  if (settings_.connectionWindow > kDefaultWindow) {
    appendFrameHeader(&out_, 4, FrameType::WindowUpdate, 0, 0);
    appendU32(&out_, settings_.connectionWindow - kDefaultWindow);
  }
}

bool Session::receive(std::string_view bytes) {
  if (failed_) return false;
  in_.append(bytes);
  const bool ok = processFrames();
  // Keep only the unparsed tail.
  if (inOffset_ == in_.size()) {
    in_.clear();
  } else if (inOffset_ > 0) {
    in_.erase(0, inOffset_);
  }
  inOffset_ = 0;
  return ok;
}

bool Session::processFrames() {
  if (!prefaceSeen_) {
    if (in_.size() < kClientPreface.size()) {
      if (kClientPreface.substr(0, in_.size()) != in_) return fail(ErrorCode::ProtocolError, "");
      return true;
    }
    if (std::string_view(in_).substr(0, kClientPreface.size()) != kClientPreface) {
      return fail(ErrorCode::ProtocolError, "bad client preface");
    }
    inOffset_ = kClientPreface.size();
    prefaceSeen_ = true;
  }
  while (!failed_ && in_.size() - inOffset_ >= kFrameHeaderSize) {
    const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + inOffset_);
    const FrameHeader h = parseFrameHeader(p);
    // We never raise SETTINGS_MAX_FRAME_SIZE above the protocol's default.
    if (h.length > kDefaultMaxFrameSize) return fail(ErrorCode::FrameSizeError, "frame too large");
    if (in_.size() - inOffset_ < kFrameHeaderSize + h.length) break;
    const std::string_view payload(in_.data() + inOffset_ + kFrameHeaderSize, h.length);
    inOffset_ += kFrameHeaderSize + h.length;
    if (!onFrame(h, payload)) return false;
  }
  return !failed_;
}

bool Session::onFrame(const FrameHeader& h, std::string_view payload) {
  if (!settingsSeen_ && h.type != FrameType::Settings) {
    return fail(ErrorCode::ProtocolError, "expected SETTINGS first");
  }
  // A header block in progress admits only its own CONTINUATION frames.
  if (headerStream_ != 0 && (h.type != FrameType::Continuation || h.stream != headerStream_)) {
    return fail(ErrorCode::ProtocolError, "expected CONTINUATION");
  }
  switch (h.type) {
    case FrameType::Data:
      return onData(h, payload);
    case FrameType::Headers:
      return onHeaders(h, payload);
    case FrameType::Continuation:
      return onContinuation(h, payload);
    case FrameType::Settings:
      return onSettings(h, payload);
    case FrameType::WindowUpdate:
      return onWindowUpdate(h, payload);
    case FrameType::RstStream:
      return onRstStream(h, payload);
    case FrameType::Ping:
      return onPing(h, payload);
    case FrameType::Goaway:
      return onGoaway(h, payload);
    case FrameType::Priority:
      if (h.stream == 0) return fail(ErrorCode::ProtocolError, "PRIORITY on stream 0");
      if (payload.size() != 5) return fail(ErrorCode::FrameSizeError, "PRIORITY size");
      return true;
    case FrameType::PushPromise:
      return fail(ErrorCode::ProtocolError, "PUSH_PROMISE from a client");
  }
  return true;  // unknown frame types are ignored (RFC 9113 section 4.1)
}

bool Session::onData(const FrameHeader& h, std::string_view payload) {
  if (h.stream == 0) return fail(ErrorCode::ProtocolError, "DATA on stream 0");
  // The whole frame counts against both windows, padding included.
  const auto frameLength = static_cast<std::uint32_t>(payload.size());
  if (!stripPadding(h.flags, &payload)) return fail(ErrorCode::ProtocolError, "bad padding");
  creditConnection(frameLength);
  const auto it = streams_.find(h.stream);
  if (it == streams_.end()) {
    if (idle(h.stream)) return fail(ErrorCode::ProtocolError, "DATA on idle stream");
    // A stream we ended (trailers, then RST_STREAM if the client was still
    // sending): frames already on their way are ignored (RFC 9113 5.1).
    return true;
  }
  if (it->second.remoteClosed) {
    streamError(h.stream, ErrorCode::StreamClosed);
    return true;
  }
  Stream& s = it->second;
  const bool endStream = (h.flags & flags::kEndStream) != 0;
  if (endStream) {
    s.remoteClosed = true;
  } else {
    s.recvUnacked += frameLength;
    if (s.recvUnacked >= settings_.streamWindow / 2) {
      appendFrameHeader(&out_, 4, FrameType::WindowUpdate, 0, h.stream);
      appendU32(&out_, s.recvUnacked);
      s.recvUnacked = 0;
    }
  }
  handler_.onData(h.stream, payload, endStream);
  return true;
}

void Session::creditConnection(std::uint32_t n) {
  connRecvUnacked_ += n;
  if (connRecvUnacked_ >= settings_.connectionWindow / 2) {
    appendFrameHeader(&out_, 4, FrameType::WindowUpdate, 0, 0);
    appendU32(&out_, connRecvUnacked_);
    connRecvUnacked_ = 0;
  }
}

bool Session::onHeaders(const FrameHeader& h, std::string_view payload) {
  if (h.stream == 0 || (h.stream & 1) == 0) {
    return fail(ErrorCode::ProtocolError, "HEADERS on a server stream id");
  }
  if (!stripPadding(h.flags, &payload)) return fail(ErrorCode::ProtocolError, "bad padding");
  if ((h.flags & flags::kPriority) != 0) {
    if (payload.size() < 5) return fail(ErrorCode::FrameSizeError, "HEADERS priority");
    payload.remove_prefix(5);
  }
  headerStream_ = h.stream;
  headerFlags_ = h.flags;
  headerBlock_.assign(payload);
  if ((h.flags & flags::kEndHeaders) == 0) return true;
  return onHeaderBlock();
}

bool Session::onContinuation(const FrameHeader& h, std::string_view payload) {
  if (headerStream_ == 0) return fail(ErrorCode::ProtocolError, "CONTINUATION without HEADERS");
  if (headerBlock_.size() + payload.size() > settings_.maxHeaderListSize + 65536) {
    return fail(ErrorCode::EnhanceYourCalm, "header block too large");
  }
  headerBlock_.append(payload);
  if ((h.flags & flags::kEndHeaders) == 0) return true;
  return onHeaderBlock();
}

bool Session::onHeaderBlock() {
  const std::uint32_t id = headerStream_;
  headerStream_ = 0;
  headers_.clear();
  const HpackDecoder::Result decoded = decoder_.decode(headerBlock_, &headers_);
  headerBlock_.clear();
  if (decoded == HpackDecoder::Result::Error) {
    return fail(ErrorCode::CompressionError, "bad header block");
  }
  const bool endStream = (headerFlags_ & flags::kEndStream) != 0;
  const auto it = streams_.find(id);
  if (it != streams_.end()) {
    // Trailers from the client: only the end of its stream matters.
    if (it->second.remoteClosed) {
      streamError(id, ErrorCode::StreamClosed);
      return true;
    }
    if (!endStream) {
      streamError(id, ErrorCode::ProtocolError);
      return true;
    }
    it->second.remoteClosed = true;
    handler_.onData(id, {}, true);
    return true;
  }
  if (id <= lastStream_) {
    // A stream that already ended.
    appendFrameHeader(&out_, 4, FrameType::RstStream, 0, id);
    appendU32(&out_, static_cast<std::uint32_t>(ErrorCode::StreamClosed));
    return true;
  }
  lastStream_ = id;
  if (goingAway_) return true;  // beyond our GOAWAY: ignored (the peer retries)
  lastAccepted_ = id;
  if (streams_.size() >= settings_.maxConcurrentStreams) {
    appendFrameHeader(&out_, 4, FrameType::RstStream, 0, id);
    appendU32(&out_, static_cast<std::uint32_t>(ErrorCode::RefusedStream));
    return true;
  }
  Stream& s = streams_[id];
  s.sendWindow = peerInitialWindow_;
  s.remoteClosed = endStream;
  handler_.onRequest(id, headers_, endStream, decoded == HpackDecoder::Result::TooLarge);
  return true;
}

bool Session::onSettings(const FrameHeader& h, std::string_view payload) {
  if (h.stream != 0) return fail(ErrorCode::ProtocolError, "SETTINGS on a stream");
  if ((h.flags & flags::kAck) != 0) {
    if (!payload.empty()) return fail(ErrorCode::FrameSizeError, "SETTINGS ack with payload");
    return true;
  }
  if (payload.size() % 6 != 0) return fail(ErrorCode::FrameSizeError, "SETTINGS size");
  settingsSeen_ = true;
  for (std::size_t i = 0; i < payload.size(); i += 6) {
    const auto* p = reinterpret_cast<const unsigned char*>(payload.data() + i);
    const auto id = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
    const std::uint32_t value = readU32(p + 2);
    switch (static_cast<SettingId>(id)) {
      case SettingId::EnablePush:
        if (value > 1) return fail(ErrorCode::ProtocolError, "ENABLE_PUSH");
        break;
      case SettingId::InitialWindowSize: {
        if (value > kMaxWindow) return fail(ErrorCode::FlowControlError, "INITIAL_WINDOW_SIZE");
        const std::int64_t delta = std::int64_t{value} - peerInitialWindow_;
        peerInitialWindow_ = value;
        for (auto& [sid, s] : streams_) {
          s.sendWindow += delta;
          if (s.sendWindow > kMaxWindow) return fail(ErrorCode::FlowControlError, "window");
          if (delta > 0 && s.sendWindow > 0) enqueueSend(sid, s);
        }
        break;
      }
      case SettingId::MaxFrameSize:
        if (value < kDefaultMaxFrameSize || value > kMaxFrameSizeLimit) {
          return fail(ErrorCode::ProtocolError, "MAX_FRAME_SIZE");
        }
        peerMaxFrame_ = value;
        break;
      case SettingId::HeaderTableSize:
        encoder_.setPeerTableSize(value);
        break;
      default:
        // MAX_CONCURRENT_STREAMS: we open no streams. Unknown: ignored.
        break;
    }
  }
  appendFrameHeader(&out_, 0, FrameType::Settings, flags::kAck, 0);
  return true;
}

bool Session::onWindowUpdate(const FrameHeader& h, std::string_view payload) {
  if (payload.size() != 4) return fail(ErrorCode::FrameSizeError, "WINDOW_UPDATE size");
  const std::uint32_t increment =
      readU32(reinterpret_cast<const unsigned char*>(payload.data())) & 0x7fffffffu;
  if (h.stream == 0) {
    if (increment == 0) return fail(ErrorCode::ProtocolError, "WINDOW_UPDATE of 0");
    connSendWindow_ += increment;
    if (connSendWindow_ > kMaxWindow) return fail(ErrorCode::FlowControlError, "window");
    return true;
  }
  const auto it = streams_.find(h.stream);
  if (it == streams_.end()) {
    if (idle(h.stream)) return fail(ErrorCode::ProtocolError, "WINDOW_UPDATE idle");
    return true;  // a closed stream
  }
  if (increment == 0) {
    streamError(h.stream, ErrorCode::ProtocolError);
    return true;
  }
  Stream& s = it->second;
  s.sendWindow += increment;
  if (s.sendWindow > kMaxWindow) {
    streamError(h.stream, ErrorCode::FlowControlError);
    return true;
  }
  if (s.sendWindow > 0) enqueueSend(h.stream, s);
  return true;
}

bool Session::onRstStream(const FrameHeader& h, std::string_view payload) {
  if (h.stream == 0) return fail(ErrorCode::ProtocolError, "RST_STREAM on stream 0");
  if (payload.size() != 4) return fail(ErrorCode::FrameSizeError, "RST_STREAM size");
  if (idle(h.stream)) return fail(ErrorCode::ProtocolError, "RST_STREAM idle");
  if (!forget(h.stream)) return true;
  handler_.onReset(h.stream, static_cast<ErrorCode>(
                                 readU32(reinterpret_cast<const unsigned char*>(payload.data()))));
  return true;
}

bool Session::onPing(const FrameHeader& h, std::string_view payload) {
  if (h.stream != 0) return fail(ErrorCode::ProtocolError, "PING on a stream");
  if (payload.size() != 8) return fail(ErrorCode::FrameSizeError, "PING size");
  if ((h.flags & flags::kAck) != 0) {
    handler_.onPingAck();
    return true;
  }
  if (!handler_.onPing()) return fail(ErrorCode::EnhanceYourCalm, "too_many_pings");
  appendFrameHeader(&out_, 8, FrameType::Ping, flags::kAck, 0);
  out_.append(payload);
  return true;
}

bool Session::onGoaway(const FrameHeader& h, std::string_view payload) {
  if (h.stream != 0) return fail(ErrorCode::ProtocolError, "GOAWAY on a stream");
  if (payload.size() < 8) return fail(ErrorCode::FrameSizeError, "GOAWAY size");
  // The client opens no more streams; the open ones still finish.
  goingAway_ = true;
  return true;
}

bool Session::fail(ErrorCode code, std::string_view debug) {
  if (failed_) return false;
  failed_ = true;
  failure_.assign(debug);
  goingAway_ = true;
  appendFrameHeader(&out_, static_cast<std::uint32_t>(8 + debug.size()), FrameType::Goaway, 0, 0);
  appendU32(&out_, lastAccepted_);
  appendU32(&out_, static_cast<std::uint32_t>(code));
  out_.append(debug);
  return false;
}

void Session::streamError(std::uint32_t id, ErrorCode code) {
  appendFrameHeader(&out_, 4, FrameType::RstStream, 0, id);
  appendU32(&out_, static_cast<std::uint32_t>(code));
  if (forget(id)) handler_.onReset(id, code);
}

bool Session::idle(std::uint32_t id) const {
  // The server opens no streams, so an even id is never anything but idle.
  return id > lastStream_ || (id & 1) == 0;
}

bool Session::forget(std::uint32_t id) {
  const auto it = streams_.find(id);
  if (it == streams_.end()) return false;
  if (it->second.inSendQueue) {
    sendQueue_.erase(std::find(sendQueue_.begin(), sendQueue_.end(), id));
  }
  streams_.erase(it);
  return true;
}

}  // namespace cairn::api::h2
