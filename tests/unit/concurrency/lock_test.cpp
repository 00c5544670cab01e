#include <catch2/catch.hpp>
#include <vector>

#include "fixture.h"
#include "recipe.h"

using namespace cairn;
using namespace cairn::concurrency;
using namespace cairn::concurrency::test;

TEST_CASE("a free lock is taken at once: the owned key, bound to the lease, and the txn header") {
  Fixture f;
  const int64_t lease = f.host.store.grantLease();
  auto [st, resp] = f.lockNow("job", lease);
  REQUIRE(st);
  CHECK(resp.key() == ownerKey("job/", lease));
  auto kv = f.host.store.get(resp.key());
  REQUIRE(kv);
  CHECK(kv->lease() == lease);
  CHECK(kv->value().empty());
  // The fencing token (the key's create revision) is the header's revision
  // when the lock was free.
  CHECK(resp.header().revision() == kv->create_revision());
  CHECK(f.host.store.sessionsOpened == 0);  // nothing to wait for, no watch
}

TEST_CASE("lease 0 locks under a fresh 60 s session lease, as etcd's service does") {
  Fixture f;
  auto [st, resp] = f.lockNow("job", 0);
  REQUIRE(st);
  auto kv = f.host.store.get(resp.key());
  REQUIRE(kv);
  CHECK(kv->lease() != 0);
  CHECK(resp.key() == ownerKey("job/", kv->lease()));
  f.host.store.drain();
  CHECK(f.host.store.grantedTtls == std::vector<int64_t>{60});
}

TEST_CASE("an unknown lease fails with etcd's message as UNKNOWN, leaving no key") {
  Fixture f;
  auto [st, resp] = f.lockNow("job", 0x4242);
  CHECK(st.code() == StatusCode::Unknown);
  CHECK(st.message() == "etcdserver: requested lease not found");
  CHECK(f.host.store.keys().empty());
}

TEST_CASE("the same lease locking again keeps its key and its place") {
  Fixture f;
  const int64_t lease = f.host.store.grantLease();
  auto first = f.lockNow("job", lease);
  REQUIRE(first.first);
  auto again = f.lockNow("job", lease);
  REQUIRE(again.first);
  CHECK(again.second.key() == first.second.key());
  CHECK(f.host.store.get(first.second.key())->version() == 1);
}

TEST_CASE("waiters take the lock in arrival order; each release wakes only the next waiter") {
  Fixture f;
  const int64_t holderLease = f.host.store.grantLease();
  auto holder = f.lockNow("job", holderLease);
  REQUIRE(holder.first);

  std::vector<int64_t> leases;
  std::vector<std::future<Answer<v3lockpb::LockResponse>>> waiters;
  for (int i = 0; i < 5; ++i) {
    leases.push_back(f.host.store.grantLease());
    waiters.push_back(f.lockLater("job", leases.back()));
    f.settle(std::chrono::milliseconds(30));  // arrival order = create order
  }
  f.settle();
  for (auto& w : waiters) CHECK(pending(w));
  CHECK(f.host.store.sessionsOpened == 5);  // one watch per waiter, on its predecessor

  std::string released = holder.second.key();
  for (size_t i = 0; i < waiters.size(); ++i) {
    const int rangesBefore = f.host.store.ranges;
    REQUIRE(f.unlock(released).first);
    auto [st, resp] = await(waiters[i]);
    REQUIRE(st);
    CHECK(resp.key() == ownerKey("job/", leases[i]));
    f.settle();
    // Only the woken waiter read anything: one predecessor lookup.
    CHECK(f.host.store.ranges - rangesBefore == 1);
    for (size_t j = i + 1; j < waiters.size(); ++j) CHECK(pending(waiters[j]));
    released = resp.key();
  }
}

TEST_CASE("a waiter whose predecessor's lease expires keeps waiting for the one before") {
  Fixture f;
  const int64_t a = f.host.store.grantLease(), b = f.host.store.grantLease(),
                c = f.host.store.grantLease();
  auto holder = f.lockNow("job", a);
  REQUIRE(holder.first);
  auto second = f.lockLater("job", b);
  f.settle();
  auto third = f.lockLater("job", c);
  f.settle();
  f.host.store.expireLease(b);  // the waiter in the middle goes away
  f.settle();
  CHECK(pending(third));
  REQUIRE(f.unlock(holder.second.key()).first);
  auto [st, resp] = await(third);
  REQUIRE(st);
  CHECK(resp.key() == ownerKey("job/", c));
  // etcd's second waiter wakes too (its own key is gone; the recipe does not
  // check it) — the caller learns from its lease.
  CHECK(await(second).first);
}

TEST_CASE("a cancelled waiter answers CANCELLED and deletes its key") {
  Fixture f;
  auto holder = f.lockNow("job", f.host.store.grantLease());
  REQUIRE(holder.first);
  const int64_t lease = f.host.store.grantLease();
  RequestContext ctx;
  auto waiter = f.lockLater("job", lease, ctx);
  f.settle();
  REQUIRE(f.host.store.has(ownerKey("job/", lease)));
  ctx.cancel->cancel();
  auto [st, resp] = await(waiter);
  CHECK(st.code() == StatusCode::Cancelled);
  f.settle();
  CHECK_FALSE(f.host.store.has(ownerKey("job/", lease)));
  CHECK(f.host.store.openSessions() == 0);
  CHECK(f.host.store.has(holder.second.key()));
}

TEST_CASE("a waiter past its deadline answers DEADLINE_EXCEEDED and deletes its key") {
  Fixture f;
  auto holder = f.lockNow("job", f.host.store.grantLease());
  const int64_t lease = f.host.store.grantLease();
  RequestContext ctx;
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  auto waiter = f.lockLater("job", lease, ctx);
  auto [st, resp] = await(waiter);
  CHECK(st.code() == StatusCode::DeadlineExceeded);
  f.settle();
  CHECK_FALSE(f.host.store.has(ownerKey("job/", lease)));
}

TEST_CASE("unlock deletes the key; an empty key is etcd's error as UNKNOWN") {
  Fixture f;
  auto held = f.lockNow("job", f.host.store.grantLease());
  auto [st, resp] = f.unlock(held.second.key());
  REQUIRE(st);
  CHECK(resp.header().revision() == f.host.store.revision());
  CHECK_FALSE(f.host.store.has(held.second.key()));
  auto [empty, _] = f.unlock("");
  CHECK(empty.code() == StatusCode::Unknown);
  CHECK(empty.message() == "etcdserver: key is not provided");
}

TEST_CASE("stopping the plugin ends waiting calls with 'server stopped' and removes their keys") {
  Fixture f;
  auto holder = f.lockNow("job", f.host.store.grantLease());
  const int64_t lease = f.host.store.grantLease();
  auto waiter = f.lockLater("job", lease);
  f.settle();
  f.core->stop();
  auto [st, resp] = await(waiter);
  CHECK(st.is(Error::Stopped));
  f.host.store.drain();
  CHECK_FALSE(f.host.store.has(ownerKey("job/", lease)));
  // After stop, calls are refused at once.
  auto late = f.lockNow("job", lease);
  CHECK(late.first.is(Error::Stopped));
}

TEST_CASE("calls before start are refused as not capable") {
  FakeHost host;
  auto core = std::make_shared<Core>();
  ServiceDef def = lockService(core);
  v3lockpb::LockRequest req;
  req.set_name("job");
  Status got;
  def.unary.at("Lock")({}, req,
                       [&](Status st, std::unique_ptr<google::protobuf::Message>) { got = st; });
  CHECK(got.is(Error::NotCapable));
}

TEST_CASE("many contenders: every lock holder is alone in the critical section") {
  Fixture f;
  constexpr int kClients = 8, kRounds = 5;
  std::atomic<int> inside{0}, maxInside{0}, counter{0}, failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    // No Catch2 assertions on these threads (they are not thread-safe).
    clients.emplace_back([&] {
      const int64_t lease = f.host.store.grantLease();
      for (int r = 0; r < kRounds; ++r) {
        auto locked = f.lockLater("counter", lease);
        if (locked.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
          ++failures;
          return;
        }
        auto [st, resp] = locked.get();
        if (!st) {
          ++failures;
          return;
        }
        const int now = ++inside;
        int seen = maxInside.load();
        while (now > seen && !maxInside.compare_exchange_weak(seen, now)) {
        }
        const int v = counter.load();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        counter.store(v + 1);
        --inside;
        v3lockpb::UnlockRequest unlock;
        unlock.set_key(resp.key());
        auto unlocked = f.start<v3lockpb::UnlockResponse>(f.lock, "Unlock", unlock);
        if (unlocked.wait_for(std::chrono::seconds(10)) != std::future_status::ready ||
            !unlocked.get().first) {
          ++failures;
          return;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(failures == 0);
  CHECK(maxInside == 1);
  CHECK(counter == kClients * kRounds);
  f.settle();
  CHECK(f.host.store.keys().empty());
  CHECK(f.host.store.openSessions() == 0);
}
