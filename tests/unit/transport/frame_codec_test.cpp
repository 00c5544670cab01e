#include "transport/frame_codec.h"

#include <catch2/catch.hpp>

using cairn::Status;
using cairn::transport::appendFrame;
using cairn::transport::FrameDecoder;
namespace raftpb = cairn::raftpb;

namespace {

raftpb::Message append(uint64_t index, std::size_t payload) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP);
  m.set_from(1);
  m.set_to(2);
  m.set_term(3);
  m.set_index(index);
  auto* e = m.add_entries();
  e->set_index(index + 1);
  e->set_term(3);
  e->set_data(std::string(payload, static_cast<char>('a' + index % 26)));
  return m;
}

}  // namespace

TEST_CASE("frames decode to the messages encoded and whatever pieces the bytes arrive in") {
  std::string wire;
  for (uint64_t i = 0; i < 50; ++i) appendFrame(append(i, i * 37), &wire);
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{1000}, wire.size()}) {
    FrameDecoder decoder(1 << 20);
    uint64_t next = 0;
    for (std::size_t at = 0; at < wire.size(); at += piece) {
      decoder.feed(std::string_view(wire).substr(at, piece));
      raftpb::Message m;
      Status error;
      while (decoder.next(&m, &error)) {
        REQUIRE(m.index() == next);
        REQUIRE(m.entries(0).data() == append(next, next * 37).entries(0).data());
        ++next;
      }
      REQUIRE(error.isOk());
    }
    REQUIRE(next == 50);
    REQUIRE(decoder.buffered() == 0);
  }
}

TEST_CASE("an oversized frame is refused before it is buffered whole") {
  std::string wire;
  appendFrame(append(1, 4096), &wire);
  FrameDecoder decoder(1024);
  decoder.feed(std::string_view(wire).substr(0, 8));
  raftpb::Message m;
  Status error;
  REQUIRE_FALSE(decoder.next(&m, &error));
  REQUIRE(error.code() == cairn::StatusCode::DataLoss);
}

TEST_CASE("a frame that is not a raft message fails the stream") {
  std::string wire("\x00\x00\x00\x03\xff\xff\xff", 7);
  FrameDecoder decoder(1024);
  decoder.feed(wire);
  raftpb::Message m;
  Status error;
  REQUIRE_FALSE(decoder.next(&m, &error));
  REQUIRE_FALSE(error.isOk());
}

TEST_CASE("an empty message is a valid zero-length frame") {
  std::string wire;
  appendFrame(raftpb::Message(), &wire);
  REQUIRE(wire.size() == 4);
  FrameDecoder decoder(16);
  decoder.feed(wire);
  raftpb::Message m;
  m.set_index(9);
  Status error;
  REQUIRE(decoder.next(&m, &error));
  REQUIRE(m.index() == 0);
}
