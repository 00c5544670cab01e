// Session, continued (session_test.cpp): flow control both ways, stream
// limits and stream errors, GOAWAY, large header blocks, input split at
// every byte, and the cases the first version got wrong.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "session_peer.h"

using namespace cairn::api::h2::testing;

TEST_CASE("outbound flow control", "[session]") {
  Peer peer;
  const std::string body(250, 'b');
  SECTION("the stream window") {
    peer.connect({{SettingId::InitialWindowSize, 100}});
    peer.open(1, true);
    peer.session.sendHeaders(1, kResponseFields);
    peer.session.sendData(1, body);
    CHECK(peer.take() == frames(headers(1, kResponseBlock) + data(1, body.substr(0, 100))));
    CHECK(peer.session.queuedBytes(1) == 150);
    CHECK_FALSE(peer.session.hasOutput());
    REQUIRE(peer.receive(windowUpdate(1, 100)));
    CHECK(peer.session.hasOutput());
    CHECK(peer.take() == frames(data(1, body.substr(100, 100))));
    CHECK(peer.session.queuedBytes(1) == 50);
    SECTION("trailers wait for the queued data") {
      peer.session.sendTrailers(1, kTrailersFields);
      CHECK(peer.take().empty());
      CHECK(peer.session.activeStreams() == 1);
      REQUIRE(peer.receive(windowUpdate(1, 1000)));
      CHECK(peer.take() == frames(data(1, body.substr(200)) +
                                  headers(1, kTrailersBlock, kEndHeaders | kEndStream)));
      CHECK(peer.session.activeStreams() == 0);
    }
    SECTION("INITIAL_WINDOW_SIZE lowered: a negative window; raised: data again") {
      REQUIRE(peer.receive(settings({{SettingId::InitialWindowSize, 50}})));  // window -50
      CHECK(peer.take() == frames(settings({}, kAck)));
      REQUIRE(peer.receive(windowUpdate(1, 30)));  // -20
      CHECK_FALSE(peer.session.hasOutput());
      CHECK(peer.take().empty());
      REQUIRE(peer.receive(settings({{SettingId::InitialWindowSize, 100}})));  // 30
      CHECK(peer.take() == frames(settings({}, kAck) + data(1, body.substr(200, 30))));
      CHECK(peer.session.queuedBytes(1) == 20);
    }
  }
  SECTION("the connection window across streams, frames of 16384") {
    peer.connect({{SettingId::InitialWindowSize, 1u << 20}});
    peer.open(1);
    peer.open(3);
    const std::string one(40000, '1');
    const std::string three(40000, '3');
    peer.session.sendData(1, one);
    peer.session.sendData(3, three);
    CHECK(peer.take() == frames(data(1, one.substr(0, 16384)) + data(1, one.substr(0, 16384)) +
                                data(1, one.substr(0, 7232)) + data(3, three.substr(0, 16384)) +
                                data(3, three.substr(0, 9151))));  // 65535 in all
    CHECK(peer.session.queuedBytes(3) == 14465);
    CHECK_FALSE(peer.session.hasOutput());
    REQUIRE(peer.receive(windowUpdate(0, 10000)));
    CHECK(peer.take() == frames(data(3, three.substr(0, 10000))));
    REQUIRE(peer.receive(windowUpdate(0, 100000)));
    CHECK(peer.take() == frames(data(3, three.substr(0, 4465))));
  }
  SECTION("a larger MAX_FRAME_SIZE") {
    peer.connect({{SettingId::InitialWindowSize, 1u << 20}, {SettingId::MaxFrameSize, 20000}});
    peer.open(1);
    const std::string x(50000, 'x');
    peer.session.sendData(1, x);
    CHECK(peer.take() == frames(data(1, x.substr(0, 20000)) + data(1, x.substr(0, 20000)) +
                                data(1, x.substr(0, 10000))));
  }
}

TEST_CASE("inbound flow control: WINDOW_UPDATE after half a window", "[session]") {
  Peer peer(windows(1000, 4000));
  CHECK(peer.take().size() == 1);  // no connection WINDOW_UPDATE when <= 65535
  peer.connect();
  peer.open(1);
  peer.open(3);
  REQUIRE(peer.receive(data(1, std::string(300, 'a'))));
  CHECK(peer.take().empty());
  REQUIRE(peer.receive(data(1, std::string(300, 'a'))));
  CHECK(peer.take() == frames(windowUpdate(1, 600)));
  REQUIRE(peer.receive(data(1, std::string(499, 'a'))));
  CHECK(peer.take().empty());
  REQUIRE(peer.receive(paddedData(1, "abc", 1)));  // 5 bytes with the padding
  CHECK(peer.take() == frames(windowUpdate(1, 504)));
  CHECK(peer.handler.log.back() == "data 1 abc");
  // 1104 on the connection; END_STREAM: no stream update, the connection at 2000.
  const std::string z(795, 'z');
  REQUIRE(peer.receive(paddedData(3, z, 100, kEndStream)));  // 896 bytes
  CHECK(peer.take() == frames(windowUpdate(0, 2000)));
  CHECK(peer.handler.log.back() == "data 3 " + z + " end");
}

TEST_CASE("max concurrent streams: REFUSED_STREAM", "[session]") {
  SessionSettings s;
  s.maxConcurrentStreams = 1;
  Peer peer(s);
  peer.connect();
  peer.open(1, true);
  REQUIRE(peer.receive(headers(3, kRequestBlock, kEndHeaders | kEndStream)));
  CHECK(peer.handler.log.empty());
  CHECK(peer.take() == frames(rstStream(3, ErrorCode::RefusedStream)));
  peer.session.sendTrailers(1, kTrailersFields);
  CHECK(peer.take().size() == 1);
  peer.open(5);
}

TEST_CASE("stream errors: RST_STREAM, onReset, the connection goes on", "[session]") {
  Peer peer;
  peer.connect();
  peer.open(1);
  peer.open(3);
  SECTION("WINDOW_UPDATE of 0") {
    REQUIRE(peer.receive(windowUpdate(1, 0)));
    CHECK(peer.take() == frames(rstStream(1, ErrorCode::ProtocolError)));
    CHECK(peer.handler.log == Log{"reset 1 1"});
  }
  SECTION("a stream window beyond 2^31-1") {
    REQUIRE(peer.receive(windowUpdate(1, 0x7fffffffu - 65535)));
    CHECK(peer.take().empty());
    REQUIRE(peer.receive(windowUpdate(1, 1)));
    CHECK(peer.take() == frames(rstStream(1, ErrorCode::FlowControlError)));
    CHECK(peer.handler.log == Log{"reset 1 3"});
  }
  SECTION("DATA after the client's END_STREAM") {
    REQUIRE(peer.receive(data(1, "a", kEndStream) + data(1, "b")));
    CHECK(peer.take() == frames(rstStream(1, ErrorCode::StreamClosed)));
    CHECK(peer.handler.log == Log{"data 1 a end", "reset 1 5"});
  }
  SECTION("INITIAL_WINDOW_SIZE pushing a window beyond 2^31-1: a connection error") {
    REQUIRE(peer.receive(windowUpdate(3, 1000)));
    peer.requireConnectionError(settings({{SettingId::InitialWindowSize, 0x7fffffffu}}),
                                ErrorCode::FlowControlError, 3);
  }
  SECTION("RST_STREAM above the last stream opened") {
    peer.requireConnectionError(rstStream(5, ErrorCode::Cancel), ErrorCode::ProtocolError, 3);
  }
}

TEST_CASE("GOAWAY: no new streams, open ones finish", "[session]") {
  Peer peer;
  peer.connect();
  peer.open(1);
  SECTION("ours: goAway()") {
    peer.session.goAway(ErrorCode::NoError, "bye");
    CHECK(peer.take() == frames(goaway(1, ErrorCode::NoError, "bye")));
    peer.session.goAway(ErrorCode::NoError, "again");  // once only
    // A stream opened after it is ignored.
    REQUIRE(peer.receive(headers(3, kRequestBlock, kEndHeaders | kEndStream)));
  }
  SECTION("the client's") {
    REQUIRE(peer.receive(goaway(0, ErrorCode::NoError)));
  }
  CHECK(peer.session.goingAway());
  CHECK(peer.take().empty());
  REQUIRE(peer.receive(data(1, "req", kEndStream)));
  CHECK(peer.handler.log == Log{"data 1 req end"});
  answer(peer, 1);
  CHECK_FALSE(peer.session.failed());
}

TEST_CASE("a large header block leaves as HEADERS + CONTINUATION", "[session]") {
  Peer peer;
  peer.connect();
  peer.open(1, true);
  std::string value;
  for (int i = 0; value.size() < 50000; ++i) value += std::to_string(i * 7919) + "~";
  const Fields big = {{"x-big", value}};
  const std::string hpack = block(big);
  REQUIRE(hpack.size() > 2 * 16384);
  REQUIRE(hpack.size() < 3 * 16384);
  const bool trailers = GENERATE(false, true);
  if (trailers) {
    peer.session.sendTrailers(1, viewsOf(big));
  } else {
    peer.session.sendHeaders(1, viewsOf(big));
  }
  CHECK(peer.take() == frames(headers(1, hpack.substr(0, 16384), trailers ? kEndStream : 0) +
                              continuation(1, hpack.substr(16384, 16384), 0) +
                              continuation(1, hpack.substr(32768), kEndHeaders)));
  CHECK(decodeBlock(peer.decoder, hpack) == big);
}

TEST_CASE("input split at any byte boundary gives the same result", "[session]") {
  const std::string& hpack = kRequestBlock;
  const std::string script =
      std::string(kClientPreface) + settings({{SettingId::InitialWindowSize, 1u << 20}}) +
      headers(1, hpack.substr(0, 7), 0) + continuation(1, hpack.substr(7), kEndHeaders) +
      paddedData(1, "body", 3) + ping("abcdefgh") + windowUpdate(1, 5) +
      headers(3, hpack, kEndHeaders | kEndStream) + rstStream(3, ErrorCode::Cancel) +
      data(1, "tail", kEndStream);
  const auto run = [&](const std::vector<std::string_view>& chunks) {
    Peer peer(windows(16, 4u << 20));  // a stream WINDOW_UPDATE at 8 bytes
    for (const auto chunk : chunks) REQUIRE(peer.receive(chunk));
    std::string out;
    peer.session.takeOutput(&out);
    return std::make_pair(peer.handler.log, out);
  };
  const auto whole = run({script});
  CHECK(whole.first ==
        Log{"request 1", "data 1 body", "ping", "request 3 end", "reset 3 8", "data 1 tail end"});
  CHECK(frames(whole.second) == frames(settings({{SettingId::InitialWindowSize, 16},
                                                 {SettingId::MaxHeaderListSize, 16u << 20}}) +
                                       windowUpdate(0, (4u << 20) - 65535) + settings({}, kAck) +
                                       windowUpdate(1, 8) + ping("abcdefgh", kAck)));
  const std::string_view all = script;
  for (std::size_t i = 0; i <= script.size(); ++i) {
    CAPTURE(i);
    CHECK(run({all.substr(0, i), all.substr(i)}) == whole);
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < all.size(); ++i) bytes.push_back(all.substr(i, 1));
  CHECK(run(bytes) == whole);
}

// Cases the first version got wrong, tested to RFC 9113 -----------------------

// A stream opened after our GOAWAY is ignored and must not raise the last
// stream id of a later GOAWAY (RFC 9113 6.8: MUST NOT).
TEST_CASE("a second GOAWAY never raises the last stream id", "[session]") {
  Peer peer;
  peer.connect();
  peer.open(1);
  peer.session.goAway(ErrorCode::NoError, "");
  peer.take();
  REQUIRE(peer.receive(headers(3, kRequestBlock, kEndHeaders | kEndStream)));
  peer.requireConnectionError(ping("1"), ErrorCode::FrameSizeError, 1);
}

// Even ids are the server's, which opens none: always idle, so RST_STREAM on
// one is a connection error PROTOCOL_ERROR (RFC 9113 5.1).
TEST_CASE("RST_STREAM on an even (idle) stream id", "[session]") {
  Peer peer;
  peer.connect();
  peer.open(3);
  peer.requireConnectionError(rstStream(2, ErrorCode::Cancel), ErrorCode::ProtocolError, 3);
}

// HEADERS on a half-closed (remote) stream: RST_STREAM STREAM_CLOSED
// (RFC 9113 5.1).
TEST_CASE("HEADERS after the client's END_STREAM: STREAM_CLOSED", "[session]") {
  Peer peer;
  peer.connect();
  peer.open(1, true);
  REQUIRE(peer.receive(headers(1, kTrailersBlock, kEndHeaders | kEndStream)));
  CHECK(peer.take() == frames(rstStream(1, ErrorCode::StreamClosed)));
}

// A stream the client resets leaves the send queue: nothing is left to send.
TEST_CASE("hasOutput after the client resets a stream with queued data", "[session]") {
  Peer peer;
  peer.connect({{SettingId::InitialWindowSize, 2}});
  peer.open(1);
  peer.session.sendData(1, "queued");  // above the window: queued
  REQUIRE(peer.receive(rstStream(1, ErrorCode::Cancel)));
  CHECK_FALSE(peer.session.hasOutput());
  CHECK(peer.take().empty());
}

TEST_CASE("header blocks are encoded as they enter the output, with the peer's table size",
          "[session]") {
  // Reused fields (content-type, grpc-status 0) go into the connection's
  // HPACK table. The client's decoder follows the wire order, so a block
  // queued behind flow control is encoded when it leaves, not when it was
  // handed over.
  const std::vector<cairn::api::h2::HeaderField> okHeaders = {
      {":status", "200"}, {"content-type", "application/grpc", true}};
  const std::vector<cairn::api::h2::HeaderField> okTrailers = {{"grpc-status", "0", true}};
  const Fields okHeadersDecoded = {{":status", "200"}, {"content-type", "application/grpc"}};
  const Fields okTrailersDecoded = {{"grpc-status", "0"}};
  Peer peer;
  SECTION("trailers that waited for a window use the table as it is when they leave") {
    peer.connect({{SettingId::InitialWindowSize, 10}});
    peer.open(1, true);
    peer.open(3, true);
    peer.session.sendHeaders(1, okHeaders);
    peer.session.sendData(1, std::string(20, 'x'));
    peer.session.sendTrailers(1, okTrailers);  // waits: 10 bytes still queued
    peer.session.sendHeaders(3, okHeaders);
    peer.session.sendData(3, "y");
    peer.session.sendTrailers(3, okTrailers);
    REQUIRE(peer.receive(windowUpdate(1, 100)));
    const Frames out = peer.take();
    std::vector<std::pair<uint32_t, Fields>> blocks;
    for (const Frame& f : out) {
      if (f.type == FrameType::Headers)
        blocks.emplace_back(f.stream, decodeBlock(peer.decoder, f.payload));
    }
    CHECK(blocks == std::vector<std::pair<uint32_t, Fields>>{{1, okHeadersDecoded},
                                                             {3, okHeadersDecoded},
                                                             {3, okTrailersDecoded},
                                                             {1, okTrailersDecoded}});
    // Stream 3's trailers entered grpc-status; stream 1's, later on the
    // wire, name it by index.
    CHECK(out.back().stream == 1);
    CHECK(out.back().payload == "\xbe");
  }
  SECTION("a client that allows no table gets literals, after a size update of 0") {
    peer.connect({{SettingId::HeaderTableSize, 0}});
    for (uint32_t stream = 1; stream <= 3; stream += 2) {
      peer.open(stream, true);
      peer.session.sendHeaders(stream, okHeaders);
      peer.session.sendTrailers(stream, okTrailers);
      const Frames out = peer.take();
      REQUIRE(out.size() == 2);
      // The update opens the first block only.
      CHECK((static_cast<unsigned char>(out[0].payload[0]) == 0x20) == (stream == 1));
      CHECK(decodeBlock(peer.decoder, out[0].payload) == okHeadersDecoded);
      CHECK(decodeBlock(peer.decoder, out[1].payload) == okTrailersDecoded);
      CHECK(out[1].payload == block(okTrailersDecoded));
    }
  }
}
