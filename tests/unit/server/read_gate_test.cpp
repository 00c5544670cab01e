#include "server/read_gate.h"

#include <catch2/catch.hpp>
#include <vector>

using cairn::Status;
using cairn::server::ReadGate;

namespace {

struct Recorder {
  std::vector<int> ran;
  ReadGate gate{[this](std::vector<ReadGate::Read>&& reads) {
    for (auto& r : reads) r(Status::ok());
  }};
  ReadGate::Read read(int id) {
    return [this, id](const Status& st) {
      if (st) ran.push_back(id);
    };
  }
  std::vector<ReadGate::Read> one(int id) {
    std::vector<ReadGate::Read> v;
    v.push_back(read(id));
    return v;
  }
};

}  // namespace

TEST_CASE("reads wait until their index is applied, then run in index order") {
  Recorder r;
  r.gate.onApplied(5);
  r.gate.add(5, r.one(1));  // already applied: runs at once
  CHECK(r.ran == std::vector<int>{1});
  r.gate.add(9, r.one(3));
  r.gate.add(7, r.one(2));
  r.gate.onApplied(6);
  CHECK(r.ran == std::vector<int>{1});
  r.gate.onApplied(8);
  CHECK(r.ran == std::vector<int>{1, 2});
  r.gate.onApplied(9);
  CHECK(r.ran == std::vector<int>{1, 2, 3});
}

TEST_CASE("drain hands back every held read") {
  Recorder r;
  r.gate.add(3, r.one(1));
  r.gate.add(4, r.one(2));
  auto held = r.gate.drain();
  CHECK(held.size() == 2);
  r.gate.onApplied(10);
  CHECK(r.ran.empty());
}
