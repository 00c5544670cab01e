#include "recipe.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>

using namespace cairn::concurrency;

TEST_CASE("owner keys are the name, a slash and the lease id as Go's %x prints it") {
  CHECK(keyPrefix("job") == "job/");
  CHECK(ownerKey("job/", 0x694d77d1a2b3c4d5) == "job/694d77d1a2b3c4d5");
  CHECK(ownerKey("job/", 1) == "job/1");
  CHECK(ownerKey("job/", -255) == "job/-ff");
  CHECK(ownerKey("", std::numeric_limits<int64_t>::min()) == "-8000000000000000");
}

TEST_CASE("prefix range ends follow clientv3's GetPrefixRangeEnd") {
  CHECK(prefixRangeEnd("job/") == "job0");
  CHECK(prefixRangeEnd(std::string("a\xff", 2)) == "b");
  CHECK(prefixRangeEnd(std::string("\xff\xff", 2)) == std::string(1, '\0'));
}

TEST_CASE("the lock transaction is Mutex.Lock's: create if absent, read the holder either way") {
  const auto txn = lockTxn("l/", "l/1a", 0x1a);
  REQUIRE(txn.compare_size() == 1);
  CHECK(txn.compare(0).target() == etcdserverpb::Compare::CREATE);
  CHECK(txn.compare(0).create_revision() == 0);
  REQUIRE(txn.success_size() == 2);
  CHECK(txn.success(0).request_put().key() == "l/1a");
  CHECK(txn.success(0).request_put().value().empty());
  CHECK(txn.success(0).request_put().lease() == 0x1a);
  const auto& holder = txn.success(1).request_range();
  CHECK(holder.key() == "l/");
  CHECK(holder.range_end() == "l0");
  CHECK(holder.limit() == 1);
  CHECK(holder.sort_target() == etcdserverpb::RangeRequest::CREATE);
  CHECK(holder.sort_order() == etcdserverpb::RangeRequest::ASCEND);
  REQUIRE(txn.failure_size() == 2);
  CHECK(txn.failure(0).request_range().key() == "l/1a");
  CHECK(txn.failure(0).request_range().range_end().empty());

  const auto pred = lastCreatedUpTo("l/", 41);
  CHECK(pred.sort_order() == etcdserverpb::RangeRequest::DESCEND);
  CHECK(pred.max_create_revision() == 41);
  CHECK(pred.limit() == 1);
}
