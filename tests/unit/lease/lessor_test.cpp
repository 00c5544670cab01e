// The lessor: grant, revoke, attach, renew, expiry, persistence.
#include "lease/lessor.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cairn/errors.h"
#include "fake_clock.h"
#include "lease/lease_codec.h"
#include "lease/min_lease_ttl.h"
#include "leasepb/lease.pb.h"
#include "lessor_test_util.h"
#include "storage-memory/memory_backend.h"

using namespace std::chrono_literals;
using cairn::Status;
using cairn::StatusCode;
using cairn::lease::Checkpoint;
using cairn::lease::Lease;
using cairn::lease::Lessor;
using cairn::lease::LessorConfig;
using cairn::lease::RenewResult;
using cairn::lease::TimeToLive;
using cairn::lease::test::config;
using cairn::lease::test::FakeClock;
using cairn::lease::test::grantOk;
using cairn::lease::test::remainingOf;
using cairn::storage::WriteBatch;

TEST_CASE("minLeaseTtl reproduces etcd's formula", "[lease]") {
  // Defaults: 1000 ms / 100 ms = 10 ticks; (3*10)/2 = 15 heartbeats = 1.5 s -> 2 s.
  CHECK(cairn::lease::minLeaseTtl(1000, 100) == 2);
  // 5000/500 = 10 ticks -> 15 * 500 ms = 7.5 s -> 8 s.
  CHECK(cairn::lease::minLeaseTtl(5000, 500) == 8);
  // 1000/300 = 3 ticks (integer division); (3*3)/2 = 4 -> 1.2 s -> 2 s.
  CHECK(cairn::lease::minLeaseTtl(1000, 300) == 2);
  // 100/100 = 1 tick; (3*1)/2 = 1 -> 100 ms -> 1 s.
  CHECK(cairn::lease::minLeaseTtl(100, 100) == 1);
  // 3000/1000 = 3 ticks; 4 heartbeats = 4 s exactly.
  CHECK(cairn::lease::minLeaseTtl(3000, 1000) == 4);
  CHECK(cairn::lease::minLeaseTtl(1000, 0) == 0);
}

TEST_CASE("grant: ids, duplicates, TTL bounds and the record", "[lease]") {
  FakeClock clk;
  Lessor l(config(5), clk.clock());

  WriteBatch b;
  Lease granted;
  REQUIRE(l.grant(7, 1, b, &granted).isOk());
  CHECK(granted.id == 7);
  CHECK(granted.ttl == 5);  // raised to the minimum
  CHECK(granted.remainingTtl == 0);
  CHECK(granted.expiry == cairn::lease::kForever);  // not primary
  REQUIRE(b.ops().size() == 1);
  CHECK(b.ops()[0].type == WriteBatch::OpType::Put);
  CHECK(b.ops()[0].bucket == "lease");
  CHECK(b.ops()[0].key == std::string("\0\0\0\0\0\0\0\x07", 8));
  leasepb::Lease pb;
  REQUIRE(pb.ParseFromString(b.ops()[0].value));
  CHECK(pb.id() == 7);
  CHECK(pb.ttl() == 5);
  CHECK(pb.remainingttl() == 0);

  WriteBatch b2;
  REQUIRE(l.grant(8, 60, b2, &granted).isOk());
  CHECK(granted.ttl == 60);

  Status dup = l.grant(7, 10, b2);
  CHECK(dup.code() == StatusCode::FailedPrecondition);
  CHECK(dup.message() == "etcdserver: lease already exists");

  Status big = l.grant(9, cairn::lease::kMaxLeaseTtl + 1, b2);
  CHECK(big.code() == StatusCode::OutOfRange);
  CHECK(big.message() == "etcdserver: too large lease TTL");
  CHECK(l.grant(9, cairn::lease::kMaxLeaseTtl, b2).isOk());

  Status zero = l.grant(0, 10, b2);
  CHECK(zero.is(cairn::Error::LeaseNotFound));
  CHECK(zero.message() == "etcdserver: requested lease not found");

  CHECK(l.size() == 3);
  CHECK(l.leases() ==
        std::vector<std::pair<int64_t, int64_t>>{{7, 5}, {8, 60}, {9, cairn::lease::kMaxLeaseTtl}});
}

TEST_CASE("a huge TTL on the primary still expires, never reads as forever", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  l.promote(0s);
  grantOk(l, 1, cairn::lease::kMaxLeaseTtl);
  auto lease = l.lookup(1);
  REQUIRE(lease);
  CHECK(lease->expiry != cairn::lease::kForever);
  CHECK(remainingOf(l, 1) == cairn::lease::kMaxLeaseTtl);
}

TEST_CASE("revoke returns sorted keys and erases the record", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  grantOk(l, 1, 10);
  grantOk(l, 2, 10);
  REQUIRE(l.attach(1, "zeta").isOk());
  REQUIRE(l.attach(1, "alpha").isOk());
  REQUIRE(l.attach(1, "mid").isOk());
  REQUIRE(l.attach(2, "other").isOk());

  WriteBatch b;
  std::vector<std::string> keys;
  REQUIRE(l.revoke(1, b, &keys).isOk());
  CHECK(keys == std::vector<std::string>{"alpha", "mid", "zeta"});
  REQUIRE(b.ops().size() == 1);
  CHECK(b.ops()[0].type == WriteBatch::OpType::Delete);
  CHECK(b.ops()[0].bucket == "lease");
  CHECK(b.ops()[0].key == cairn::lease::leaseKey(1));
  CHECK(l.leaseOf("alpha") == cairn::lease::kNoLease);
  CHECK(l.leaseOf("other") == 2);
  CHECK_FALSE(l.lookup(1));

  Status again = l.revoke(1, b);
  CHECK(again.code() == StatusCode::NotFound);
  CHECK(again.message() == "etcdserver: requested lease not found");
  Status unknown = l.revoke(42, b);
  CHECK(unknown.code() == StatusCode::NotFound);
  CHECK(unknown.message() == "etcdserver: requested lease not found");
  CHECK(b.ops().size() == 1);  // failures write nothing
}

TEST_CASE("attach, detach and re-attach to another lease", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  grantOk(l, 1, 10);
  grantOk(l, 2, 10);

  CHECK(l.attach(3, "k").is(cairn::Error::LeaseNotFound));
  CHECK(l.leaseOf("k") == cairn::lease::kNoLease);

  REQUIRE(l.attach(1, "k").isOk());
  CHECK(l.leaseOf("k") == 1);
  // Re-put with another lease: the key moves.
  REQUIRE(l.attach(2, "k").isOk());
  CHECK(l.leaseOf("k") == 2);
  CHECK(l.lookup(1)->keys.empty());
  CHECK(l.lookup(2)->keys == std::set<std::string>{"k"});

  // Detaching from a lease the key is not on leaves its real lease alone.
  REQUIRE(l.detach(1, "k").isOk());
  CHECK(l.leaseOf("k") == 2);
  REQUIRE(l.detach(2, "k").isOk());
  CHECK(l.leaseOf("k") == cairn::lease::kNoLease);
  CHECK(l.lookup(2)->keys.empty());
  CHECK(l.detach(3, "k").is(cairn::Error::LeaseNotFound));
}

TEST_CASE("renew resets the expiry and needs the primary", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  grantOk(l, 1, 10);

  RenewResult r;
  Status notPrimary = l.renew(1, &r);
  CHECK(notPrimary.is(cairn::Error::LeaseNotPrimary));
  CHECK(notPrimary.message() == "not a primary lessor");

  l.promote(0s);
  clk.advance(6s);
  CHECK(remainingOf(l, 1) == 4);
  REQUIRE(l.renew(1, &r).isOk());
  CHECK(r.ttl == 10);
  CHECK_FALSE(r.clearCheckpoint);
  CHECK(l.lookup(1)->expiry == clk.now() + 10s);
  CHECK(remainingOf(l, 1) == 10);

  // The renewed expiry is what expiredLeases() goes by.
  clk.advance(9s);
  CHECK(l.expiredLeases(10).empty());
  clk.advance(1s);
  CHECK(l.expiredLeases(10) == std::vector<int64_t>{1});

  // Expired, revoke pending: no renewal (etcd would wait for the revoke).
  CHECK(l.renew(1, &r).is(cairn::Error::LeaseExpiring));

  Status unknown = l.renew(99, &r);
  CHECK(unknown.code() == StatusCode::NotFound);
  CHECK(unknown.message() == "etcdserver: requested lease not found");

  l.demote();
  CHECK(l.renew(1, &r).is(cairn::Error::LeaseNotPrimary));
}

TEST_CASE("expired leases come out in expiry order, capped, and re-offered later", "[lease]") {
  FakeClock clk;
  LessorConfig c = config();
  c.expiredRetryInterval = 3s;
  Lessor l(c, clk.clock());
  CHECK(l.expiredLeases(10).empty());  // not primary, nothing scheduled
  l.promote(0s);
  grantOk(l, 1, 30);
  grantOk(l, 2, 10);
  grantOk(l, 3, 20);
  grantOk(l, 4, 100);

  clk.advance(9s);
  CHECK(l.expiredLeases(10).empty());
  clk.advance(1s);  // exactly at lease 2's expiry: expired (remaining <= 0)
  CHECK(l.expiredLeases(10) == std::vector<int64_t>{2});
  CHECK(l.expiredLeases(10).empty());  // held back for the retry interval

  clk.advance(21s);  // t = 31: 2 (re-offer due), 3, 1 all expired
  CHECK(l.expiredLeases(2) == std::vector<int64_t>{2, 3});
  CHECK(l.expiredLeases(2) == std::vector<int64_t>{1});
  CHECK(l.expiredLeases(2).empty());

  // The revoke of 3 applied; 2 and 1 were lost and come back after 3 s.
  WriteBatch b;
  REQUIRE(l.revoke(3, b).isOk());
  clk.advance(2999ms);
  CHECK(l.expiredLeases(10).empty());
  clk.advance(1ms);
  // Both were re-scheduled at t = 31 + 3 s: equal times go by id.
  CHECK(l.expiredLeases(10) == std::vector<int64_t>{1, 2});

  // A non-primary offers nothing.
  l.demote();
  clk.advance(10s);
  CHECK(l.expiredLeases(10).empty());
}

TEST_CASE("timeToLive truncates toward zero like etcd", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  grantOk(l, 1, 10);
  REQUIRE(l.attach(1, "b").isOk());
  REQUIRE(l.attach(1, "a").isOk());

  TimeToLive t;
  REQUIRE(l.timeToLive(1, &t).isOk());
  CHECK(t.grantedTtl == 10);
  CHECK(t.remaining == 9223372036);  // forever on a non-primary, as etcd reports
  CHECK(t.keys == std::vector<std::string>{"a", "b"});

  l.promote(0s);
  clk.advance(500ms);
  CHECK(remainingOf(l, 1) == 9);  // 9.5 s
  clk.advance(9499ms);
  CHECK(remainingOf(l, 1) == 0);  // 1 ms
  clk.advance(501ms);
  CHECK(remainingOf(l, 1) == 0);  // -0.5 s: expired, revoke pending
  clk.advance(1000ms);
  CHECK(remainingOf(l, 1) == -1);  // -1.5 s

  CHECK(l.timeToLive(2, &t).is(cairn::Error::LeaseNotFound));
}

TEST_CASE("persist and recover round trip through the memory backend", "[lease]") {
  cairn::storage::MemoryBackend backend;
  REQUIRE(backend.open({}).isOk());
  FakeClock clk;
  LessorConfig c = config(2);
  c.checkpointEnabled = true;
  c.checkpointPersist = true;
  {
    Lessor l(c, clk.clock());
    WriteBatch b;
    REQUIRE(l.grant(1, 100, b).isOk());
    REQUIRE(l.grant(-5, 3, b).isOk());  // negative ids sort after in byte order
    REQUIRE(l.grant(0x0102030405060708, 50, b).isOk());
    REQUIRE(l.grant(4, 10, b).isOk());
    l.applyCheckpoint(1, 40, b);
    REQUIRE(l.attach(1, "k").isOk());
    REQUIRE(backend.commit(b).isOk());
    WriteBatch b2;
    REQUIRE(l.revoke(4, b2).isOk());
    REQUIRE(backend.commit(b2).isOk());
  }

  Lessor r(config(5), clk.clock());  // a larger minimum raises recovered TTLs
  grantOk(r, 77, 10);                // replaced by the recovery
  r.promote(0s);
  auto txn = backend.beginRead();
  REQUIRE(r.recover(*txn).isOk());
  CHECK_FALSE(r.isPrimary());
  CHECK(r.leases() ==
        std::vector<std::pair<int64_t, int64_t>>{{-5, 5}, {1, 100}, {0x0102030405060708, 50}});
  auto one = r.lookup(1);
  REQUIRE(one);
  CHECK(one->remainingTtl == 40);
  CHECK(one->keys.empty());  // keys come back from the KV store
  CHECK(one->expiry == cairn::lease::kForever);
  CHECK(r.leaseOf("k") == cairn::lease::kNoLease);
  REQUIRE(r.attach(1, "k").isOk());
  CHECK(r.leaseOf("k") == 1);

  r.promote(0s);
  CHECK(remainingOf(r, 1) == 40);
  CHECK(remainingOf(r, 0x0102030405060708) == 50);
}

TEST_CASE("recover rejects a corrupt record and keeps the old state", "[lease]") {
  cairn::storage::MemoryBackend backend;
  REQUIRE(backend.open({}).isOk());
  WriteBatch b;
  b.put(cairn::storage::kLeaseBucket, cairn::lease::leaseKey(1), std::string("\xff\xff\xff", 3));
  REQUIRE(backend.commit(b).isOk());

  FakeClock clk;
  Lessor l(config(), clk.clock());
  grantOk(l, 9, 10);
  auto txn = backend.beginRead();
  Status st = l.recover(*txn);
  CHECK(st.code() == StatusCode::DataLoss);
  CHECK(l.leases() == std::vector<std::pair<int64_t, int64_t>>{{9, 10}});
}

TEST_CASE("concurrent apply, tick and API calls are serialized by the lessor", "[lease]") {
  // Meant for the sanitizer builds: any unguarded access shows up there.
  Lessor l(config(), {});  // the real steady clock
  l.promote(0s);
  std::atomic<bool> stop{false};
  std::thread tick([&] {
    RenewResult r;
    while (!stop) {
      (void)l.expiredLeases(100);
      (void)l.dueCheckpoints(100);
      (void)l.renew(1, &r);
    }
  });
  std::thread api([&] {
    TimeToLive t;
    while (!stop) {
      (void)l.timeToLive(1, &t);
      (void)l.leases();
      (void)l.leaseOf("k1");
    }
  });
  for (int64_t id = 1; id <= 500; ++id) {
    WriteBatch b;
    REQUIRE(l.grant(id, 1 + id % 3, b).isOk());
    REQUIRE(l.attach(id, "k" + std::to_string(id % 7)).isOk());
    if (id % 2 == 0) REQUIRE(l.revoke(id - 1, b).isOk());
  }
  stop = true;
  tick.join();
  api.join();
  CHECK(l.size() == 250);
}

TEST_CASE("leases are listed soonest expiry first, as etcd lists them", "[lease]") {
  FakeClock clk;
  Lessor l(config(), clk.clock());
  l.promote(0s);
  cairn::storage::WriteBatch b;
  REQUIRE(l.grant(1, 60, b).isOk());
  REQUIRE(l.grant(2, 30, b).isOk());
  REQUIRE(l.grant(3, 45, b).isOk());
  REQUIRE(l.grant(4, 30, b).isOk());
  clk.advance(10s);
  REQUIRE(l.renew(2, nullptr).isOk());  // now expires at 40 s, after 4 (30 s)
  using Pairs = std::vector<std::pair<int64_t, int64_t>>;
  CHECK(l.leases() == Pairs{{4, 30}, {2, 30}, {3, 45}, {1, 60}});
  l.demote();  // every expiry is forever: id order
  CHECK(l.leases() == Pairs{{1, 60}, {2, 30}, {3, 45}, {4, 30}});
}
