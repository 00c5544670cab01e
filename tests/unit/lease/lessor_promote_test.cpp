// The lessor when it becomes primary (promote) and its checkpoints.
#include <catch2/catch.hpp>
#include <vector>

#include "fake_clock.h"
#include "lease/lessor.h"
#include "leasepb/lease.pb.h"
#include "lessor_test_util.h"

using namespace std::chrono_literals;
using namespace cairn::lease;
using namespace cairn::lease::test;
using cairn::storage::WriteBatch;

TEST_CASE("promote extends every expiry: no lease dies of downtime", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  l.promote(0s);
  grantOk(l, 1, 10);
  clk.advance(8s);
  l.demote();
  CHECK(l.lookup(1)->expiry == cairn::lease::kForever);

  clk.advance(1000s);  // long leaderless period
  CHECK(l.expiredLeases(10).empty());
  l.promote(2s);  // the election timeout, as etcd passes it
  CHECK(l.lookup(1)->expiry == clk.now() + 12s);
  CHECK(remainingOf(l, 1) == 12);
  clk.advance(11900ms);
  CHECK(l.expiredLeases(10).empty());
  clk.advance(100ms);
  CHECK(l.expiredLeases(10) == std::vector<int64_t>{1});
}

TEST_CASE("promote uses a checkpointed remaining TTL", "[lease]") {
  FakeClock clk;
  LessorConfig c = config();
  c.checkpointEnabled = true;
  c.checkpointPersist = true;
  Lessor l(c, clk.clock());
  grantOk(l, 1, 100);
  grantOk(l, 2, 100);

  WriteBatch b;
  l.applyCheckpoint(1, 30, b);
  l.applyCheckpoint(99, 30, b);  // unknown: ignored
  REQUIRE(b.ops().size() == 1);  // persisted: the record carries remainingTtl
  leasepb::Lease pb;
  REQUIRE(pb.ParseFromString(b.ops()[0].value));
  CHECK(pb.id() == 1);
  CHECK(pb.remainingttl() == 30);
  CHECK(l.lookup(1)->remainingTtl == 30);

  l.promote(1s);
  CHECK(remainingOf(l, 1) == 31);
  CHECK(remainingOf(l, 2) == 101);

  // A renewal restarts the full TTL and asks for the remainder to be cleared.
  RenewResult r;
  REQUIRE(l.renew(1, &r).isOk());
  CHECK(r.ttl == 100);
  CHECK(r.clearCheckpoint);
  CHECK(remainingOf(l, 1) == 100);
  REQUIRE(l.renew(2, &r).isOk());
  CHECK_FALSE(r.clearCheckpoint);

  WriteBatch b2;
  l.applyCheckpoint(1, 0, b2);  // the clear, applied
  CHECK(l.lookup(1)->remainingTtl == 0);
  REQUIRE(l.renew(1, &r).isOk());
  CHECK_FALSE(r.clearCheckpoint);
}

TEST_CASE("checkpoints are not persisted unless asked to", "[lease]") {
  FakeClock clk;
  LessorConfig c = config();
  c.checkpointEnabled = true;
  Lessor l(c, clk.clock());
  grantOk(l, 1, 100);
  WriteBatch b;
  l.applyCheckpoint(1, 30, b);
  CHECK(b.empty());
  CHECK(l.lookup(1)->remainingTtl == 30);
}

TEST_CASE("due checkpoints: schedule, rounding, limit, reschedule on apply", "[lease]") {
  FakeClock clk;
  LessorConfig c = config();
  c.checkpointEnabled = true;
  c.checkpointInterval = 60s;
  Lessor l(c, clk.clock());
  l.promote(0s);
  grantOk(l, 1, 300);
  grantOk(l, 2, 30);  // shorter than the interval: never scheduled
  grantOk(l, 3, 600);

  clk.advance(59s);
  CHECK(l.dueCheckpoints(10).empty());
  clk.advance(1500ms);  // 60.5 s in: 239.5 s left -> 240 (rounded up)
  CHECK(l.dueCheckpoints(1) == std::vector<Checkpoint>{{1, 240}});
  CHECK(l.dueCheckpoints(10) == std::vector<Checkpoint>{{3, 540}});
  CHECK(l.dueCheckpoints(10).empty());  // nothing until the next apply

  WriteBatch b;
  l.applyCheckpoint(1, 240, b);  // applied on the leader: next one scheduled
  clk.advance(60s);
  CHECK(l.dueCheckpoints(10) == std::vector<Checkpoint>{{1, 180}});

  // A lease at its full TTL when due (just renewed) is not checkpointed.
  l.applyCheckpoint(3, 540, b);
  RenewResult r;
  clk.advance(60s);
  REQUIRE(l.renew(3, &r).isOk());
  CHECK(l.dueCheckpoints(10).empty());

  // Disabled, or not primary: nothing.
  l.demote();
  CHECK(l.dueCheckpoints(10).empty());
  Lessor off(config(), clk.clock());
  off.promote(0s);
  grantOk(off, 1, 1000);
  clk.advance(600s);
  CHECK(off.dueCheckpoints(10).empty());
}

TEST_CASE("promote spreads piled-up expiries over the revoke rate", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  for (int64_t id = 1; id <= 2000; ++id) grantOk(l, id, 60);
  l.promote(0s);
  clk.advance(60s);
  // 3/4 of the 1000/s rate expire in the first second; the rest are pushed out.
  CHECK(l.expiredLeases(5000).size() == 750);
  // Lease n > 750 was pushed back by n/750 s.
  clk.advance(1s);
  CHECK(l.expiredLeases(5000).empty());
  clk.advance(1s);
  CHECK(l.expiredLeases(5000).size() == 750);  // 751..1500
  clk.advance(999ms);
  CHECK(l.expiredLeases(5000).size() == 500);  // 1501..2000, by 2000/750 s
}
