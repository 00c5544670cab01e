// HTTP/2 frame layout (RFC 9113 section 4 and 6): the constants and the
// 9-byte frame header, shared by the session's reader and writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::api::h2 {

enum class FrameType : std::uint8_t {
  Data = 0x0,
  Headers = 0x1,
  Priority = 0x2,
  RstStream = 0x3,
  Settings = 0x4,
  PushPromise = 0x5,
  Ping = 0x6,
  Goaway = 0x7,
  WindowUpdate = 0x8,
  Continuation = 0x9,
};

namespace flags {
inline constexpr std::uint8_t kEndStream = 0x1;
inline constexpr std::uint8_t kAck = 0x1;
inline constexpr std::uint8_t kEndHeaders = 0x4;
inline constexpr std::uint8_t kPadded = 0x8;
inline constexpr std::uint8_t kPriority = 0x20;
}  // namespace flags

// RFC 9113 section 7.
enum class ErrorCode : std::uint32_t {
  NoError = 0x0,
  ProtocolError = 0x1,
  InternalError = 0x2,
  FlowControlError = 0x3,
  SettingsTimeout = 0x4,
  StreamClosed = 0x5,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
  ConnectError = 0xa,
  EnhanceYourCalm = 0xb,
  InadequateSecurity = 0xc,
  Http11Required = 0xd,
};

// RFC 9113 section 6.5.2.
enum class SettingId : std::uint16_t {
  HeaderTableSize = 0x1,
  EnablePush = 0x2,
  MaxConcurrentStreams = 0x3,
  InitialWindowSize = 0x4,
  MaxFrameSize = 0x5,
  MaxHeaderListSize = 0x6,
};

inline constexpr std::size_t kFrameHeaderSize = 9;
inline constexpr std::uint32_t kDefaultWindow = 65535;
inline constexpr std::uint32_t kDefaultMaxFrameSize = 16384;
// SETTINGS_HEADER_TABLE_SIZE before any SETTINGS (6.5.2): the HPACK dynamic
// table size both ends start with. We advertise no other, and our encoder
// never uses more even if the peer allows it.
inline constexpr std::uint32_t kDefaultHeaderTableSize = 4096;
inline constexpr std::uint32_t kMaxFrameSizeLimit = (1u << 24) - 1;
inline constexpr std::int64_t kMaxWindow = 0x7fffffff;
inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct FrameHeader {
  std::uint32_t length = 0;
  FrameType type = FrameType::Data;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
};

inline std::uint32_t readU32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// `p` holds at least kFrameHeaderSize bytes.
inline FrameHeader parseFrameHeader(const unsigned char* p) {
  FrameHeader h;
  h.length = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[2]};
  h.type = static_cast<FrameType>(p[3]);
  h.flags = p[4];
  h.stream = readU32(p + 5) & 0x7fffffffu;
  return h;
}

inline void appendU32(std::string* out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

inline void appendFrameHeader(std::string* out, std::uint32_t length, FrameType type,
                              std::uint8_t frameFlags, std::uint32_t stream) {
  const char b[5] = {static_cast<char>(length >> 16), static_cast<char>(length >> 8),
                     static_cast<char>(length), static_cast<char>(type),
                     static_cast<char>(frameFlags)};
  out->append(b, 5);
  appendU32(out, stream & 0x7fffffffu);
}

}  // namespace cairn::api::h2
