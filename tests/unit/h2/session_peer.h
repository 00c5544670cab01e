// The test peer of session_test.cpp and session_flow_test.cpp: builders
// for a client's frames (HPACK blocks made with HpackEncoder), a parser for
// what the session sends, and a recording SessionHandler.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "h2/frame.h"
#include "h2/hpack_decoder.h"
#include "h2/hpack_encoder.h"
#include "h2/session.h"

using cairn::api::h2::ErrorCode;
using cairn::api::h2::FrameType;
using cairn::api::h2::Header;
using cairn::api::h2::HpackDecoder;
using cairn::api::h2::kClientPreface;
using cairn::api::h2::Session;
using cairn::api::h2::SessionSettings;
using cairn::api::h2::SettingId;
namespace flags = cairn::api::h2::flags;
using std::uint32_t;
using std::uint8_t;

namespace cairn::api::h2::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;
using Settings = std::vector<std::pair<SettingId, uint32_t>>;

constexpr uint8_t kEndHeaders = flags::kEndHeaders;
constexpr uint8_t kEndStream = flags::kEndStream;
constexpr uint8_t kAck = flags::kAck;

inline std::string u32(uint32_t v) {
  std::string out;
  cairn::api::h2::appendU32(&out, v);
  return out;
}
inline std::string code(ErrorCode c) {
  return u32(static_cast<uint32_t>(c));
}

// --- frames, the client's and the expected ones -----------------------------

inline std::string frame(FrameType type, uint8_t frameFlags, uint32_t stream,
                         std::string_view payload) {
  std::string out;
  cairn::api::h2::appendFrameHeader(&out, static_cast<uint32_t>(payload.size()), type, frameFlags,
                                    stream);
  return out.append(payload);
}
inline std::string block(const Fields& fields) {
  cairn::api::h2::HpackEncoder encoder;
  std::string out;
  for (const auto& [name, value] : fields) encoder.encode(name, value, &out);
  return out;
}
inline std::string settings(const Settings& values = {}, uint8_t frameFlags = 0) {
  std::string payload;
  for (const auto& [id, value] : values) {
    payload += u32(static_cast<uint32_t>(id)).substr(2);
    payload += u32(value);
  }
  return frame(FrameType::Settings, frameFlags, 0, payload);
}
inline std::string headers(uint32_t stream, std::string_view hpack,
                           uint8_t frameFlags = kEndHeaders) {
  return frame(FrameType::Headers, frameFlags, stream, hpack);
}
inline std::string continuation(uint32_t stream, std::string_view hpack, uint8_t frameFlags) {
  return frame(FrameType::Continuation, frameFlags, stream, hpack);
}
inline std::string data(uint32_t stream, std::string_view bytes, uint8_t frameFlags = 0) {
  return frame(FrameType::Data, frameFlags, stream, bytes);
}
inline std::string paddedData(uint32_t stream, std::string_view bytes, uint8_t pad,
                              uint8_t frameFlags = 0) {
  const std::string payload = std::string(1, static_cast<char>(pad)) + std::string(bytes);
  return frame(FrameType::Data, frameFlags | flags::kPadded, stream,
               payload + std::string(pad, '\0'));
}
inline std::string windowUpdate(uint32_t stream, uint32_t increment) {
  return frame(FrameType::WindowUpdate, 0, stream, u32(increment));
}
inline std::string ping(std::string_view opaque, uint8_t frameFlags = 0) {
  return frame(FrameType::Ping, frameFlags, 0, opaque);
}
inline std::string rstStream(uint32_t stream, ErrorCode c) {
  return frame(FrameType::RstStream, 0, stream, code(c));
}
inline std::string goaway(uint32_t lastStream, ErrorCode c, std::string_view debug = "") {
  return frame(FrameType::Goaway, 0, 0, u32(lastStream) + code(c) + std::string(debug));
}

const Fields kRequest = {{":method", "POST"},
                         {":scheme", "http"},
                         {":path", "/etcdserverpb.KV/Range"},
                         {":authority", "localhost:2379"},
                         {"content-type", "application/grpc"},
                         {"te", "trailers"}};
const Fields kResponse = {{":status", "200"}, {"content-type", "application/grpc"}};
const Fields kTrailers = {{"grpc-status", "0"}, {"grpc-message", ""}};
const std::string kRequestBlock = block(kRequest);
const std::string kResponseBlock = block(kResponse);
const std::string kTrailersBlock = block(kTrailers);

// `fields` as the session's sendHeaders/sendTrailers take them (views into
// `fields`, which must outlive them). None is marked reused, so the session
// encodes them exactly as block() does.
inline std::vector<cairn::api::h2::HeaderField> viewsOf(const Fields& fields) {
  std::vector<cairn::api::h2::HeaderField> out;
  for (const auto& [name, value] : fields) out.push_back({name, value});
  return out;
}
const std::vector<cairn::api::h2::HeaderField> kResponseFields = viewsOf(kResponse);
const std::vector<cairn::api::h2::HeaderField> kTrailersFields = viewsOf(kTrailers);

struct Frame {
  FrameType type;
  uint8_t flags;
  uint32_t stream;
  std::string payload;
  bool operator==(const Frame& o) const {
    return type == o.type && flags == o.flags && stream == o.stream && payload == o.payload;
  }
};
using Frames = std::vector<Frame>;

// Splits bytes into frames; they must end on a frame boundary.
inline Frames frames(std::string_view bytes) {
  Frames out;
  while (!bytes.empty()) {
    REQUIRE(bytes.size() >= cairn::api::h2::kFrameHeaderSize);
    const auto h =
        cairn::api::h2::parseFrameHeader(reinterpret_cast<const unsigned char*>(bytes.data()));
    bytes.remove_prefix(cairn::api::h2::kFrameHeaderSize);
    REQUIRE(bytes.size() >= h.length);
    out.push_back({h.type, h.flags, h.stream, std::string(bytes.substr(0, h.length))});
    bytes.remove_prefix(h.length);
  }
  return out;
}

inline Fields decodeBlock(HpackDecoder& decoder, std::string_view hpack) {
  HeaderList decoded;
  REQUIRE(decoder.decode(hpack, &decoded) == HpackDecoder::Result::Ok);
  Fields out;
  for (const Header& h : decoded) out.emplace_back(h.name, h.value);
  return out;
}

}  // namespace cairn::api::h2::testing

namespace Catch {
template <>
struct StringMaker<cairn::api::h2::testing::Frame> {
  static std::string convert(const cairn::api::h2::testing::Frame& f) {
    const auto t = static_cast<unsigned>(f.type);
    std::string s = "type=" + std::to_string(t) + " flags=" + std::to_string(f.flags) +
                    " stream=" + std::to_string(f.stream) +
                    " length=" + std::to_string(f.payload.size()) + " [";
    for (std::size_t i = 0; i < f.payload.size() && i < 12; ++i) {
      s += std::to_string(static_cast<unsigned char>(f.payload[i])) + " ";
    }
    return s + "]";
  }
};
}  // namespace Catch

namespace cairn::api::h2::testing {

// The handler records every callback as a line; onRequest's fields aside.
struct Recorder : cairn::api::h2::SessionHandler {
  std::vector<std::string> log;
  std::vector<Fields> requestHeaders;

  void onRequest(uint32_t stream, const HeaderList& headers, bool endStream,
                 bool tooLarge) override {
    Fields fields;
    for (const Header& h : headers) fields.emplace_back(h.name, h.value);
    requestHeaders.push_back(std::move(fields));
    log.push_back("request " + std::to_string(stream) + (endStream ? " end" : "") +
                  (tooLarge ? " tooLarge" : ""));
  }
  void onData(uint32_t stream, std::string_view bytes, bool endStream) override {
    log.push_back("data " + std::to_string(stream) + " " + std::string(bytes) +
                  (endStream ? " end" : ""));
  }
  void onReset(uint32_t stream, ErrorCode c) override {
    log.push_back("reset " + std::to_string(stream) + " " +
                  std::to_string(static_cast<uint32_t>(c)));
  }
  bool allowPings = true;
  bool onPing() override {
    log.push_back("ping");
    return allowPings;
  }
  void onPingAck() override { log.push_back("ping ack"); }
};
using Log = std::vector<std::string>;

struct Peer {
  Recorder handler;
  Session session;
  HpackDecoder decoder;  // for the server's header blocks

  explicit Peer(const SessionSettings& s = {}) : session(handler, s) {}

  Frames take() {
    std::string out;
    session.takeOutput(&out);
    return frames(out);
  }
  bool receive(std::string_view bytes) { return session.receive(bytes); }
  // Preface and SETTINGS; the server preface and the SETTINGS ack are dropped.
  void connect(const Settings& values = {}) {
    take();
    REQUIRE(receive(std::string(kClientPreface) + settings(values)));
    REQUIRE(take() == frames(settings({}, kAck)));
  }
  void open(uint32_t stream, bool endStream = false) {
    REQUIRE(receive(headers(stream, kRequestBlock, kEndHeaders | (endStream ? kEndStream : 0))));
    REQUIRE(handler.log == Log{"request " + std::to_string(stream) + (endStream ? " end" : "")});
    handler.log.clear();
  }
  // A connection error: receive fails, the output ends with the GOAWAY, and
  // nothing is accepted afterwards.
  void requireConnectionError(std::string_view bytes, ErrorCode c, uint32_t lastStream) {
    CHECK_FALSE(receive(bytes));
    CHECK(session.failed());
    CHECK(session.goingAway());
    const Frames out = take();
    REQUIRE(!out.empty());
    CHECK(out.back().type == FrameType::Goaway);
    CHECK(out.back().payload.substr(0, 8) == u32(lastStream) + code(c));
    CHECK_FALSE(receive(ping("12345678")));
  }
};

// The server's answer on a stream the client has half-closed: HEADERS, DATA,
// trailers, nothing held back.
inline Frames answer(Peer& peer, uint32_t stream) {
  peer.session.sendHeaders(stream, kResponseFields);
  peer.session.sendData(stream, "answer");
  CHECK(peer.session.hasOutput());
  peer.session.sendTrailers(stream, kTrailersFields);
  const Frames out = peer.take();
  CHECK(out == frames(headers(stream, kResponseBlock) + data(stream, "answer") +
                      headers(stream, kTrailersBlock, kEndHeaders | kEndStream)));
  CHECK(peer.session.activeStreams() == 0);
  CHECK(peer.session.queuedBytes(stream) == 0);
  CHECK_FALSE(peer.session.hasOutput());
  return out;
}

inline SessionSettings windows(uint32_t stream, uint32_t connection) {
  SessionSettings s;
  s.streamWindow = stream;
  s.connectionWindow = connection;
  return s;
}

}  // namespace cairn::api::h2::testing
