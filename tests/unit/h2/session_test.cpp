// Session: the HTTP/2 server state machine driven by a test peer that speaks
// raw frames (session_peer.h). The frames the session emits are compared
// whole with the frames expected, built by the same helpers that build the
// client's. Prefaces, settings, connection errors, requests and answers,
// PING and RST_STREAM here; flow control, limits, GOAWAY and split input in
// session_flow_test.cpp.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "session_peer.h"

using namespace cairn::api::h2::testing;

TEST_CASE("server preface: SETTINGS, then the connection WINDOW_UPDATE", "[session]") {
  SECTION("defaults") {
    Peer peer;
    CHECK(peer.session.hasOutput());
    CHECK(peer.take() == frames(settings({{SettingId::InitialWindowSize, 1u << 20},
                                          {SettingId::MaxHeaderListSize, 16u << 20}}) +
                                windowUpdate(0, (4u << 20) - 65535)));
    CHECK_FALSE(peer.session.hasOutput());
  }
  SECTION("a stream limit, the default connection window") {
    SessionSettings s = windows(1000, 65535);
    s.maxConcurrentStreams = 100;
    s.maxHeaderListSize = 8192;
    Peer peer(s);
    CHECK(peer.take() == frames(settings({{SettingId::MaxConcurrentStreams, 100},
                                          {SettingId::InitialWindowSize, 1000},
                                          {SettingId::MaxHeaderListSize, 8192}})));
  }
}

TEST_CASE("client preface and SETTINGS", "[session]") {
  Peer peer;
  peer.take();
  SECTION("byte by byte, then SETTINGS byte by byte") {
    const std::string bytes = std::string(kClientPreface) + settings();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      REQUIRE(peer.receive(bytes.substr(i, 1)));
      if (i + 1 < bytes.size()) REQUIRE_FALSE(peer.session.hasOutput());
    }
    CHECK(peer.take() == frames(settings({}, kAck)));
  }
  SECTION("then SETTINGS: acked, unknown ids ignored; an ack gets nothing") {
    peer.connect();
    REQUIRE(peer.receive(settings({{SettingId::HeaderTableSize, 0}, {SettingId(0x99), 7}})));
    CHECK(peer.take() == frames(settings({}, kAck)));
    REQUIRE(peer.receive(settings({}, kAck)));
    CHECK(peer.take().empty());
  }
  SECTION("a wrong preface") {
    peer.requireConnectionError("PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n", ErrorCode::ProtocolError, 0);
  }
  SECTION("a wrong first byte is refused before 24 bytes arrive") {
    peer.requireConnectionError("GET / HTTP/1.1\r\n", ErrorCode::ProtocolError, 0);
  }
  SECTION("a first frame other than SETTINGS") {
    peer.requireConnectionError(std::string(kClientPreface) + ping("12345678"),
                                ErrorCode::ProtocolError, 0);
  }
}

// Each of these ends the connection: receive() false, GOAWAY with the code.
TEST_CASE("connection errors", "[session]") {
  const std::string& hpack = kRequestBlock;
  const std::string partial = headers(1, hpack.substr(0, 5), 0);
  const struct {
    const char* what;
    std::string bytes;
    ErrorCode code;
  } cases[] = {
      {"SETTINGS ack with a payload", settings({{SettingId::EnablePush, 0}}, kAck),
       ErrorCode::FrameSizeError},
      {"SETTINGS of 5 bytes", frame(FrameType::Settings, 0, 0, "12345"), ErrorCode::FrameSizeError},
      {"SETTINGS on a stream", frame(FrameType::Settings, 0, 1, ""), ErrorCode::ProtocolError},
      {"MAX_FRAME_SIZE 16383", settings({{SettingId::MaxFrameSize, 16383}}),
       ErrorCode::ProtocolError},
      {"MAX_FRAME_SIZE 2^24", settings({{SettingId::MaxFrameSize, 1u << 24}}),
       ErrorCode::ProtocolError},
      {"ENABLE_PUSH 2", settings({{SettingId::EnablePush, 2}}), ErrorCode::ProtocolError},
      {"INITIAL_WINDOW_SIZE 2^31", settings({{SettingId::InitialWindowSize, 0x80000000u}}),
       ErrorCode::FlowControlError},
      {"PING inside a header block", partial + ping("12345678"), ErrorCode::ProtocolError},
      {"DATA inside a header block", partial + data(1, "x"), ErrorCode::ProtocolError},
      {"CONTINUATION of another stream", partial + continuation(3, hpack.substr(5), kEndHeaders),
       ErrorCode::ProtocolError},
      {"CONTINUATION without HEADERS", continuation(1, hpack, kEndHeaders),
       ErrorCode::ProtocolError},
      {"HEADERS on an even stream id", headers(2, hpack), ErrorCode::ProtocolError},
      {"a header block that does not decode (index 0)", headers(1, "\x80"),
       ErrorCode::CompressionError},
      {"DATA on stream 0", data(0, "x"), ErrorCode::ProtocolError},
      {"DATA on an idle stream", data(1, "x"), ErrorCode::ProtocolError},
      {"RST_STREAM on an idle stream", rstStream(1, ErrorCode::Cancel), ErrorCode::ProtocolError},
      {"a frame header of length 16385", data(1, std::string(16385, 'x')).substr(0, 20),
       ErrorCode::FrameSizeError},
      {"WINDOW_UPDATE of 0 on stream 0", windowUpdate(0, 0), ErrorCode::ProtocolError},
      {"the connection window beyond 2^31-1", windowUpdate(0, 0x7fffffffu - 65535 + 1),
       ErrorCode::FlowControlError},
      {"PING of 7 bytes", ping("1234567"), ErrorCode::FrameSizeError},
      {"PUSH_PROMISE", frame(FrameType::PushPromise, kEndHeaders, 1, u32(2)),
       ErrorCode::ProtocolError},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Peer peer;
    peer.connect();
    peer.requireConnectionError(c.bytes, c.code, 0);
    CHECK(peer.handler.log.empty());
  }
}

TEST_CASE("requests: HEADERS, CONTINUATION, DATA", "[session]") {
  Peer peer;
  peer.connect();
  const std::string& hpack = kRequestBlock;
  Log& log = peer.handler.log;
  SECTION("HEADERS, then DATA up to END_STREAM") {
    REQUIRE(peer.receive(headers(1, hpack) + data(1, "hello") + data(1, "!", kEndStream)));
    CHECK(log == Log{"request 1", "data 1 hello", "data 1 ! end"});
    CHECK(peer.handler.requestHeaders == std::vector<Fields>{kRequest});
    CHECK(peer.session.activeStreams() == 1);
    CHECK(peer.take().empty());
  }
  SECTION("HEADERS + CONTINUATION + CONTINUATION") {
    REQUIRE(peer.receive(headers(1, hpack.substr(0, 5), kEndStream) +
                         continuation(1, hpack.substr(5, 10), 0)));
    CHECK(log.empty());
    REQUIRE(peer.receive(continuation(1, hpack.substr(15), kEndHeaders)));
    CHECK(log == Log{"request 1 end"});
    CHECK(peer.handler.requestHeaders == std::vector<Fields>{kRequest});
  }
  SECTION("HEADERS with PADDED and PRIORITY") {
    const std::string payload = "\x03" + u32(0x80000003u) + "\x10" + hpack + "pad";
    REQUIRE(peer.receive(
        headers(1, payload, kEndHeaders | kEndStream | flags::kPadded | flags::kPriority)));
    CHECK(log == Log{"request 1 end"});
    CHECK(peer.handler.requestHeaders == std::vector<Fields>{kRequest});
  }
  SECTION("HEADERS with END_STREAM, then PRIORITY") {
    REQUIRE(peer.receive(headers(1, hpack, kEndHeaders | kEndStream) +
                         frame(FrameType::Priority, 0, 1, u32(0) + "\x0f")));
    CHECK(log == Log{"request 1 end"});
    CHECK(peer.take().empty());
  }
  SECTION("the client's trailers end its half") {
    REQUIRE(peer.receive(headers(1, hpack) + headers(1, kTrailersBlock, kEndHeaders | kEndStream)));
    CHECK(log == Log{"request 1", "data 1  end"});
    CHECK(peer.take().empty());
  }
  SECTION("a header list above the limit") {
    SessionSettings s;
    s.maxHeaderListSize = 100;
    Peer small(s);
    small.connect();
    REQUIRE(small.receive(headers(1, hpack)));
    CHECK(small.handler.log == Log{"request 1 tooLarge"});
  }
}

TEST_CASE("answers: HEADERS, DATA, trailers", "[session]") {
  Peer peer;
  peer.connect();
  SECTION("after the client's END_STREAM") {
    peer.open(1, true);
    const Frames out = answer(peer, 1);
    REQUIRE(out.size() == 3);
    CHECK(decodeBlock(peer.decoder, out[0].payload) == kResponse);
    CHECK(decodeBlock(peer.decoder, out[2].payload) == kTrailers);
    peer.session.sendData(1, "late");  // the stream is gone
    CHECK(peer.take().empty());
  }
  SECTION("before the client's END_STREAM") {
    peer.open(1);
    peer.session.sendTrailers(1, kTrailersFields);
    // RFC 9113 8.1: RST_STREAM NO_ERROR asks the client to stop sending.
    CHECK(peer.take() == frames(headers(1, kTrailersBlock, kEndHeaders | kEndStream) +
                                rstStream(1, ErrorCode::NoError)));
    CHECK(peer.session.activeStreams() == 0);
    // DATA already on its way is ignored (RFC 9113 5.1), as are its resets.
    REQUIRE(peer.receive(data(1, "more") + rstStream(1, ErrorCode::Cancel)));
    CHECK(peer.take().empty());
    CHECK(peer.handler.log.empty());
  }
}

TEST_CASE("PING", "[session]") {
  Peer peer;
  peer.connect();
  SECTION("acked with the same bytes; an ack gets nothing") {
    REQUIRE(peer.receive(ping("\x01\x02\x03\x04\x05\x06\x07\x08")));
    CHECK(peer.take() == frames(ping("\x01\x02\x03\x04\x05\x06\x07\x08", kAck)));
    REQUIRE(peer.receive(ping("12345678", kAck)));
    CHECK_FALSE(peer.session.hasOutput());
    CHECK(peer.handler.log == Log{"ping", "ping ack"});
  }
  SECTION("ping(): ours, and its ack") {
    peer.session.ping();
    CHECK(peer.take() == frames(ping(std::string(8, '\0'))));
    REQUIRE(peer.receive(ping(std::string(8, '\0'), kAck)));
    CHECK(peer.handler.log == Log{"ping ack"});
  }
  SECTION("refused by the handler: ENHANCE_YOUR_CALM") {
    peer.handler.allowPings = false;
    peer.requireConnectionError(ping("12345678"), ErrorCode::EnhanceYourCalm, 0);
  }
}

TEST_CASE("RST_STREAM and resetStream", "[session]") {
  Peer peer;
  peer.connect({{SettingId::InitialWindowSize, 10}});
  peer.open(1);
  peer.session.sendData(1, std::string(100, 'x'));
  SECTION("from the client: onReset, queued data dropped") {
    CHECK(peer.take().size() == 1);
    CHECK(peer.session.queuedBytes(1) == 90);
    REQUIRE(peer.receive(rstStream(1, ErrorCode::Cancel)));
    CHECK(peer.handler.log == Log{"reset 1 8"});
    CHECK(peer.session.queuedBytes(1) == 0);
    CHECK(peer.session.activeStreams() == 0);
    // Late frames on the closed stream are ignored.
    REQUIRE(peer.receive(windowUpdate(1, 100) + rstStream(1, ErrorCode::Cancel)));
    CHECK(peer.take().empty());
    CHECK(peer.handler.log.size() == 1);
  }
  SECTION("resetStream: RST_STREAM, no onReset") {
    peer.session.resetStream(1, ErrorCode::Cancel);
    CHECK(peer.take() == frames(rstStream(1, ErrorCode::Cancel)));
    CHECK(peer.handler.log.empty());
    CHECK(peer.session.activeStreams() == 0);
    CHECK(peer.session.queuedBytes(1) == 0);
  }
}
