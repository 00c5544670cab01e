#include "transport/outbound_queue.h"

#include <catch2/catch.hpp>

#include "transport/frame_codec.h"

using namespace cairn::transport;
namespace raftpb = cairn::raftpb;

namespace {

raftpb::Message sized(uint64_t index, std::size_t bytes) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_APP);
  m.set_index(index);
  m.add_entries()->set_data(std::string(bytes, 'x'));
  return m;
}

std::vector<uint64_t> decodeAll(const std::string& wire) {
  FrameDecoder d(1 << 24);
  d.feed(wire);
  std::vector<uint64_t> out;
  raftpb::Message m;
  cairn::Status error;
  while (d.next(&m, &error)) out.push_back(m.index());
  REQUIRE(error.isOk());
  REQUIRE(d.buffered() == 0);
  return out;
}

}  // namespace

TEST_CASE("a batch takes queued messages in order until it reaches the byte budget") {
  OutboundQueue q(100);
  for (uint64_t i = 0; i < 10; ++i) REQUIRE(q.push(sized(i, 1000)));
  std::string batch;
  const std::size_t taken = q.takeBatch(3500, &batch);
  // Whole messages only: the fourth one crosses the budget and ends the batch.
  REQUIRE(taken == 4);
  REQUIRE(decodeAll(batch) == std::vector<uint64_t>{0, 1, 2, 3});
  batch.clear();
  REQUIRE(q.takeBatch(1 << 20, &batch) == 6);
  REQUIRE(decodeAll(batch) == std::vector<uint64_t>{4, 5, 6, 7, 8, 9});
  REQUIRE(q.empty());
}

TEST_CASE("a message larger than the budget still goes out and alone") {
  OutboundQueue q(10);
  REQUIRE(q.push(sized(1, 10000)));
  REQUIRE(q.push(sized(2, 10)));
  std::string batch;
  REQUIRE(q.takeBatch(100, &batch) == 1);
  REQUIRE(decodeAll(batch) == std::vector<uint64_t>{1});
}

TEST_CASE("a full queue refuses and clearing it counts what was dropped") {
  OutboundQueue q(3);
  REQUIRE(q.push(sized(1, 1)));
  REQUIRE(q.push(sized(2, 1)));
  REQUIRE(q.push(sized(3, 1)));
  REQUIRE_FALSE(q.push(sized(4, 1)));
  REQUIRE(q.size() == 3);
  REQUIRE(q.clear() == 3);
  REQUIRE(q.empty());
  std::string batch;
  REQUIRE(q.takeBatch(100, &batch) == 0);
  REQUIRE(batch.empty());
}
