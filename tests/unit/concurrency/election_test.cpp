#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

#include "fixture.h"
#include "recipe.h"

using namespace cairn;
using namespace cairn::concurrency;
using namespace cairn::concurrency::test;
using namespace v3electionpb;

namespace {

CampaignRequest campaign(const std::string& name, int64_t lease, const std::string& value) {
  CampaignRequest req;
  req.set_name(name);
  req.set_lease(lease);
  req.set_value(value);
  return req;
}

LeaderRequest leaderOf(const std::string& name) {
  LeaderRequest req;
  req.set_name(name);
  return req;
}

// Reads an Observe stream the way a frontend does: poll after each onReady.
struct Observer {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::unique_ptr<StreamCall> call;

  Observer(Fixture& f, const std::string& name, RequestContext ctx = {}) {
    call = f.election.streams.at("Observe")(ctx, [this] {
      std::lock_guard<std::mutex> lock(mu);
      ready = true;
      cv.notify_all();
    });
    call->onMessage(leaderOf(name));
  }

  // Every response until `count` arrived (or 5 s passed), as "key=value@rev".
  std::vector<std::string> take(size_t count, Status* end = nullptr) {
    std::vector<std::string> got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got.size() < count) {
      std::unique_ptr<google::protobuf::Message> msg;
      Status final;
      auto next = call->poll(&msg, &final);
      if (next == StreamCall::Next::Message) {
        const auto& r = static_cast<const LeaderResponse&>(*msg);
        got.push_back(r.kv().key() + "=" + r.kv().value() + "@" +
                      std::to_string(r.header().revision()));
        continue;
      }
      if (next == StreamCall::Next::Finished) {
        if (end) *end = final;
        break;
      }
      std::unique_lock<std::mutex> lock(mu);
      if (!cv.wait_until(lock, deadline, [this] { return ready; })) break;
      ready = false;
    }
    return got;
  }
};

}  // namespace

TEST_CASE("campaign on a free election leads at once with the LeaderKey") {
  Fixture f;
  const int64_t lease = f.host.store.grantLease();
  auto [st, resp] = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", lease, "a"));
  REQUIRE(st);
  const auto kv = f.host.store.get(ownerKey("e/", lease));
  REQUIRE(kv);
  CHECK(resp.leader().name() == "e");
  CHECK(resp.leader().key() == kv->key());
  CHECK(resp.leader().rev() == kv->create_revision());
  CHECK(resp.leader().lease() == lease);
  CHECK(resp.header().revision() == kv->create_revision());

  auto [lst, leader] = f.call<LeaderResponse>(f.election, "Leader", leaderOf("e"));
  REQUIRE(lst);
  CHECK(leader.kv().value() == "a");
}

TEST_CASE("no leader, missing leader key, not leader: etcd's errors, all UNKNOWN") {
  Fixture f;
  auto [st, _] = f.call<LeaderResponse>(f.election, "Leader", leaderOf("e"));
  CHECK(st.is(Error::ElectionNoLeader));
  CHECK(st.code() == StatusCode::Unknown);
  CHECK(st.message() == "election: no leader");

  auto [p, _p] = f.call<ProclaimResponse>(f.election, "Proclaim", ProclaimRequest{});
  CHECK(p.code() == StatusCode::Unknown);
  CHECK(p.message() == "\"leader\" field must be provided");
  auto [r, _r] = f.call<ResignResponse>(f.election, "Resign", ResignRequest{});
  CHECK(r.message() == "\"leader\" field must be provided");

  const int64_t lease = f.host.store.grantLease();
  auto won = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", lease, "a"));
  REQUIRE(won.first);
  ProclaimRequest stale;
  *stale.mutable_leader() = won.second.leader();
  stale.mutable_leader()->set_rev(won.second.leader().rev() + 100);
  stale.set_value("b");
  auto [np, _np] = f.call<ProclaimResponse>(f.election, "Proclaim", stale);
  CHECK(np.is(Error::ElectionNotLeader));
  CHECK(np.message() == "election: not leader");
  // etcd's Resign does not check its transaction's outcome: OK, nothing deleted.
  ResignRequest staleResign;
  *staleResign.mutable_leader() = stale.leader();
  auto [nr, _nr] = f.call<ResignResponse>(f.election, "Resign", staleResign);
  CHECK(nr);
  CHECK(f.host.store.has(won.second.leader().key()));
}

TEST_CASE("proclaim updates the leader's value; resign hands over to the next candidate") {
  Fixture f;
  const int64_t a = f.host.store.grantLease(), b = f.host.store.grantLease();
  auto first = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", a, "a"));
  REQUIRE(first.first);
  auto second = f.start<CampaignResponse>(f.election, "Campaign", campaign("e", b, "b"));
  f.settle();
  CHECK(pending(second));

  ProclaimRequest proclaim;
  *proclaim.mutable_leader() = first.second.leader();
  proclaim.set_value("a2");
  REQUIRE(f.call<ProclaimResponse>(f.election, "Proclaim", proclaim).first);
  CHECK(f.host.store.get(first.second.leader().key())->value() == "a2");

  ResignRequest resign;
  *resign.mutable_leader() = first.second.leader();
  REQUIRE(f.call<ResignResponse>(f.election, "Resign", resign).first);
  auto [st, won] = await(second);
  REQUIRE(st);
  CHECK(won.leader().key() == ownerKey("e/", b));
  // The header is the campaign transaction's, taken before the wait.
  CHECK(won.header().revision() == won.leader().rev());
}

TEST_CASE("campaigning again with the same lease and a new value keeps the place, new value") {
  Fixture f;
  const int64_t lease = f.host.store.grantLease();
  auto first = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", lease, "a"));
  REQUIRE(first.first);
  auto again = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", lease, "b"));
  REQUIRE(again.first);
  CHECK(again.second.leader().rev() == first.second.leader().rev());
  CHECK(f.host.store.get(first.second.leader().key())->value() == "b");
}

TEST_CASE("a campaign abandoned while waiting resigns its candidacy") {
  Fixture f;
  auto first = f.call<CampaignResponse>(f.election, "Campaign",
                                        campaign("e", f.host.store.grantLease(), "a"));
  const int64_t lease = f.host.store.grantLease();
  RequestContext ctx;
  auto waiting = f.start<CampaignResponse>(f.election, "Campaign", campaign("e", lease, "b"), ctx);
  f.settle();
  REQUIRE(f.host.store.has(ownerKey("e/", lease)));
  ctx.cancel->cancel();
  CHECK(await(waiting).first.code() == StatusCode::Cancelled);
  f.settle();
  CHECK_FALSE(f.host.store.has(ownerKey("e/", lease)));
}

TEST_CASE("observe sees every leader and every proclaimed value, in order, once") {
  Fixture f;
  Observer early(f, "e");  // starts on an empty election: waits for the first put
  f.waitForSessions(1);
  const int64_t a = f.host.store.grantLease(), b = f.host.store.grantLease();
  auto first = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", a, "a"));
  auto second = f.start<CampaignResponse>(f.election, "Campaign", campaign("e", b, "b"));
  f.settle();
  Observer late(f, "e");                // starts with a leader in place
  const auto lateFirst = late.take(1);  // its read is done before the next write
  REQUIRE(lateFirst.size() == 1);

  ProclaimRequest proclaim;
  *proclaim.mutable_leader() = first.second.leader();
  proclaim.set_value("a2");
  REQUIRE(f.call<ProclaimResponse>(f.election, "Proclaim", proclaim).first);
  ResignRequest resign;
  *resign.mutable_leader() = first.second.leader();
  REQUIRE(f.call<ResignResponse>(f.election, "Resign", resign).first);
  REQUIRE(await(second).first);
  f.host.store.expireLease(b);  // the second leader's session ends
  f.settle();

  const std::string ka = ownerKey("e/", a), kb = ownerKey("e/", b);
  const auto e = early.take(3);
  REQUIRE(e.size() == 3);
  CHECK(e[0].rfind(ka + "=a@", 0) == 0);
  CHECK(e[1].rfind(ka + "=a2@", 0) == 0);
  CHECK(e[2].rfind(kb + "=b@", 0) == 0);
  auto l = lateFirst;
  for (auto& r : late.take(2)) l.push_back(r);
  REQUIRE(l.size() == 3);
  // The late observer's first answer is its read's header (a later revision
  // than the put's); after that both saw the same events.
  CHECK(l[0] == ka + "=a@3");
  CHECK(l[1] == e[1]);
  CHECK(l[2] == e[2]);
  early.call->close();
  late.call->close();
  f.settle();
  CHECK(f.host.store.openSessions() == 0);
}

TEST_CASE("observe: the first put on an empty election carries its own revision") {
  Fixture f;
  Observer o(f, "e");
  f.waitForSessions(1);
  f.host.store.putKey("e/other", "x");  // any put under the prefix is taken, as etcd does
  const int64_t rev = f.host.store.revision();
  f.host.store.putKey("unrelated", "y");
  f.settle();
  const auto got = o.take(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "e/other=x@" + std::to_string(rev));
  o.call->close();
}

TEST_CASE("observe: a slow observer is not buffered without bound") {
  Fixture f;
  const int64_t lease = f.host.store.grantLease();
  auto won = f.call<CampaignResponse>(f.election, "Campaign", campaign("e", lease, "v0"));
  REQUIRE(won.first);
  Observer o(f, "e");
  f.waitForSessions(1);  // it read v0 and follows the leader's key
  for (int i = 1; i <= 100; ++i)
    f.host.store.putKey(won.second.leader().key(), "v" + std::to_string(i), lease);
  f.settle(std::chrono::milliseconds(300));
  // Nothing polled yet: the plugin holds at most one watch response beyond its bound.
  const auto got = o.take(101);
  REQUIRE(got.size() == 101);
  for (int i = 0; i <= 100; ++i) {
    CHECK(got[i].rfind(won.second.leader().key() + "=v" + std::to_string(i) + "@", 0) == 0);
  }
  o.call->close();
}

TEST_CASE("observe streams end with 'server stopped' when the plugin stops") {
  Fixture f;
  Observer o(f, "e");
  f.settle();
  f.core->stop();
  Status end;
  CHECK(o.take(1, &end).empty());
  CHECK(end.is(Error::Stopped));
}
