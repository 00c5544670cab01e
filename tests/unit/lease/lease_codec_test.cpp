#include "lease/lease_codec.h"

#include <catch2/catch.hpp>

#include "leasepb/lease.pb.h"

using cairn::lease::Lease;

TEST_CASE("lease keys are 8-byte big-endian ids", "[lease]") {
  CHECK(cairn::lease::leaseKey(0x0102030405060708) == "\x01\x02\x03\x04\x05\x06\x07\x08");
  CHECK(cairn::lease::leaseKey(1) == std::string("\0\0\0\0\0\0\0\x01", 8));
  CHECK(cairn::lease::leaseKey(-1) == std::string(8, '\xff'));
}

TEST_CASE("lease records round-trip through leasepb.Lease", "[lease]") {
  Lease in;
  in.id = 42;
  in.ttl = 60;
  in.remainingTtl = 17;
  in.keys = {"ignored"};
  cairn::storage::WriteBatch b;
  cairn::lease::persist(in, b);
  REQUIRE(b.ops().size() == 1);

  Lease out;
  REQUIRE(cairn::lease::decodeLease(b.ops()[0].key, b.ops()[0].value, &out).isOk());
  CHECK(out.id == 42);
  CHECK(out.ttl == 60);
  CHECK(out.remainingTtl == 17);
  CHECK(out.keys.empty());

  // Same bytes as etcd's gogo marshaling: fields 1, 2, 3 as varints.
  CHECK(b.ops()[0].value == std::string("\x08\x2a\x10\x3c\x18\x11", 6));

  cairn::lease::erase(42, b);
  CHECK(b.ops()[1].type == cairn::storage::WriteBatch::OpType::Delete);
  CHECK(b.ops()[1].key == cairn::lease::leaseKey(42));

  CHECK(cairn::lease::decodeLease("short", b.ops()[0].value, &out).code() ==
        cairn::StatusCode::DataLoss);
}
