// Alarms and the backend quota in a real member (memory and WiredTiger
// backends): Alarm GET/ACTIVATE/DEACTIVATE through raft, the NOSPACE and
// CORRUPT gates on writes (etcd's capped and corrupt appliers), a quota that
// raises NOSPACE by itself, alarms surviving a restart; the quota's costs.
#include <catch2/catch.hpp>

#include "alarm_store.h"
#include "backend_quota.h"
#include "cairn/errors.h"
#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

std::pair<Status, etcdserverpb::AlarmResponse> alarm(Server& s,
                                                     etcdserverpb::AlarmRequest::AlarmAction action,
                                                     etcdserverpb::AlarmType type,
                                                     uint64_t member) {
  etcdserverpb::AlarmRequest req;
  req.set_action(action);
  req.set_alarm(type);
  req.set_memberid(member);
  return call<etcdserverpb::AlarmResponse>(
      [&](auto done) { s.maintenance().alarm(RequestContext::internal(), req, std::move(done)); });
}

Status put(Server& s, const std::string& key, const std::string& value) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  return call<etcdserverpb::PutResponse>(
             [&](auto done) { s.kv().put(RequestContext::internal(), req, std::move(done)); })
      .first;
}

Status del(Server& s, const std::string& key) {
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(key);
  return call<etcdserverpb::DeleteRangeResponse>([&](auto done) {
           s.kv().deleteRange(RequestContext::internal(), req, std::move(done));
         })
      .first;
}

Status grant(Server& s) {
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(60);
  return call<etcdserverpb::LeaseGrantResponse>(
             [&](auto done) { s.lease().grant(RequestContext::internal(), req, std::move(done)); })
      .first;
}

Status txnPut(Server& s, const std::string& key) {
  etcdserverpb::TxnRequest req;
  req.add_success()->mutable_request_put()->set_key(key);
  return call<etcdserverpb::TxnResponse>(
             [&](auto done) { s.kv().txn(RequestContext::internal(), req, std::move(done)); })
      .first;
}

Status txnDelete(Server& s, const std::string& key) {
  etcdserverpb::TxnRequest req;
  req.add_success()->mutable_request_delete_range()->set_key(key);
  return call<etcdserverpb::TxnResponse>(
             [&](auto done) { s.kv().txn(RequestContext::internal(), req, std::move(done)); })
      .first;
}

}  // namespace

TEST_CASE("backend quota: writes applied since the last sample count", "[quota]") {
  // The size is sampled at most every 100 ms; a burst in between must not
  // run past the quota on the sample taken before it.
  etcdserverpb::PutRequest p;
  p.set_key("abc");
  p.set_value(std::string(100, 'v'));  // costs 359
  uint64_t size = 1000;
  BackendQuota q(2000, [&size] { return size; });
  CHECK(q.available(p));  // 1000 + 359 < 2000
  q.charge(p);
  CHECK(q.available(p));  // 1359 + 359 < 2000
  q.charge(p);
  CHECK_FALSE(q.available(p));             // 1718 + 359 >= 2000
  q.charge(etcdserverpb::RangeRequest());  // costs nothing
  // A sample taken while the writes are not in the backend yet (the apply
  // loop's write group is open) keeps counting them.
  q.invalidate();
  CHECK_FALSE(q.available(p));
  // Committed: the next sample measures them in the backend instead.
  q.committed();
  CHECK_FALSE(q.available(p));
  size = 1100;  // say a defragmentation shrank it meanwhile
  q.invalidate();
  CHECK(q.available(p));  // 1100 + 359
  BackendQuota off(-1, [] { return 0; });
  off.charge(p);
  CHECK(off.available(p));
}

TEST_CASE("backend quota: etcd's costs and the default", "[quota]") {
  etcdserverpb::PutRequest p;
  p.set_key("abc");
  p.set_value(std::string(100, 'v'));
  CHECK(BackendQuota::cost(p) == 256 + 3 + 100);
  etcdserverpb::TxnRequest t;
  *t.add_success()->mutable_request_put() = p;
  t.add_failure()->mutable_request_put()->set_key("k");
  t.add_failure()->mutable_request_put()->set_key("l");
  CHECK(BackendQuota::cost(t) == 257 + 257);  // the larger branch
  t.add_failure()->mutable_request_put()->set_value(std::string(200, 'x'));
  CHECK(BackendQuota::cost(t) == 257 + 257 + 456);
  CHECK(BackendQuota::cost(etcdserverpb::LeaseGrantRequest()) == 64);
  CHECK(BackendQuota::cost(etcdserverpb::RangeRequest()) == 0);

  uint64_t size = 1000;
  BackendQuota q(2000, [&size] { return size; });
  CHECK(q.available(p));
  CHECK(q.available(etcdserverpb::DeleteRangeRequest()));
  BackendQuota full(1300, [&size] { return size; });
  CHECK_FALSE(full.available(p));                     // 1000 + 359 >= 1300
  CHECK(full.available(etcdserverpb::TxnRequest()));  // costs nothing
  CHECK(BackendQuota(0, [] { return 0; }).maxBytes() == BackendQuota::kDefaultBytes);
  CHECK_FALSE(BackendQuota(-1, [] { return 0; }).enabled());
  CHECK(BackendQuota(-1, [] { return uint64_t{1} << 40; }).available(p));
}

TEST_CASE("alarm store: one alarm per member and type, persisted in the alarm bucket", "[alarm]") {
  storage::MemoryBackend backend;
  REQUIRE(backend.open({}).isOk());
  AlarmStore alarms;
  storage::WriteBatch b;
  auto [a, added] = alarms.activate(7, etcdserverpb::NOSPACE, &b);
  CHECK(added);
  CHECK(a.memberid() == 7);
  CHECK_FALSE(alarms.activate(7, etcdserverpb::NOSPACE, &b).second);
  alarms.activate(3, etcdserverpb::CORRUPT, &b);
  alarms.activate(2, etcdserverpb::NOSPACE, &b);
  REQUIRE(backend.commit(b).isOk());
  CHECK(alarms.active(etcdserverpb::NOSPACE));
  CHECK(alarms.get(etcdserverpb::NOSPACE).size() == 2);
  CHECK(alarms.get(etcdserverpb::NONE).size() == 3);

  AlarmStore loaded;
  REQUIRE(loaded.load(*backend.beginRead()).isOk());
  auto all = loaded.get(etcdserverpb::NONE);
  REQUIRE(all.size() == 3);
  CHECK(all[0].memberid() == 2);  // NOSPACE first, by member
  CHECK(all[2].alarm() == etcdserverpb::CORRUPT);

  storage::WriteBatch d;
  CHECK(loaded.deactivate(7, etcdserverpb::NOSPACE, &d));
  CHECK_FALSE(loaded.deactivate(7, etcdserverpb::NOSPACE, &d));
  CHECK(loaded.deactivate(2, etcdserverpb::NOSPACE, &d));
  CHECK_FALSE(loaded.active(etcdserverpb::NOSPACE));
  CHECK(loaded.active(etcdserverpb::CORRUPT));
  REQUIRE(backend.commit(d).isOk());
  AlarmStore again;
  REQUIRE(again.load(*backend.beginRead()).isOk());
  CHECK(again.get(etcdserverpb::NONE).size() == 1);
}

TEST_CASE("alarms: raised and cleared through raft, gating writes, kept across restart",
          "[alarm]") {
  const std::string backendName = GENERATE(std::string("memory"), std::string("wiredtiger"));
  TempDir dir;
  JsonLogger logger(LogLevel::Error, {"stderr"});
  EmptyRegistry plugins(logger);
  uint64_t id = 0;
  {
    Server s(fastMemberOptions(dir.path), makeBackend(backendName), logger, plugins.registry);
    REQUIRE(s.start().isOk());
    id = s.memberId();
    REQUIRE(put(s, "a", "1").isOk());
    auto [st, resp] = alarm(s, etcdserverpb::AlarmRequest::ACTIVATE, etcdserverpb::NOSPACE, id);
    REQUIRE(st.isOk());
    REQUIRE(resp.alarms_size() == 1);
    CHECK(resp.alarms(0).memberid() == id);
    CHECK(resp.alarms(0).alarm() == etcdserverpb::NOSPACE);

    CHECK(put(s, "a", "2").is(Error::NoSpace));
    CHECK(txnPut(s, "b").is(Error::NoSpace));
    CHECK(grant(s).is(Error::NoSpace));
    CHECK(txnDelete(s, "zzz").isOk());  // costs nothing
    CHECK(del(s, "a").isOk());
    s.stop();
  }
  {
    // The alarm is in the backend (WiredTiger) or replayed from the WAL
    // (memory).
    Server s(fastMemberOptions(dir.path), makeBackend(backendName), logger, plugins.registry);
    REQUIRE(s.start().isOk());
    auto [st, resp] = alarm(s, etcdserverpb::AlarmRequest::GET, etcdserverpb::NONE, 0);
    REQUIRE(st.isOk());
    REQUIRE(resp.alarms_size() == 1);
    CHECK(resp.alarms(0).memberid() == id);
    CHECK(put(s, "a", "3").is(Error::NoSpace));

    // Deactivating an alarm nobody raised answers no alarm; the real one
    // comes back in the answer and writes resume.
    auto none = alarm(s, etcdserverpb::AlarmRequest::DEACTIVATE, etcdserverpb::NOSPACE, id + 1);
    CHECK(none.first.isOk());
    CHECK(none.second.alarms_size() == 0);
    auto off = alarm(s, etcdserverpb::AlarmRequest::DEACTIVATE, etcdserverpb::NOSPACE, id);
    REQUIRE(off.first.isOk());
    CHECK(off.second.alarms_size() == 1);
    CHECK(put(s, "a", "4").isOk());
    CHECK(grant(s).isOk());

    // CORRUPT refuses deletes as well.
    REQUIRE(alarm(s, etcdserverpb::AlarmRequest::ACTIVATE, etcdserverpb::CORRUPT, id).first.isOk());
    CHECK(put(s, "a", "5").is(Error::Corrupt));
    CHECK(del(s, "a").is(Error::Corrupt));
    REQUIRE(
        alarm(s, etcdserverpb::AlarmRequest::DEACTIVATE, etcdserverpb::CORRUPT, id).first.isOk());
    CHECK(del(s, "a").isOk());
    s.stop();
  }
}

TEST_CASE("quota: a write past --quota-backend-bytes raises NOSPACE", "[quota][alarm]") {
  TempDir dir;
  JsonLogger logger(LogLevel::Error, {"stderr"});
  EmptyRegistry plugins(logger);
  ServerOptions o = fastMemberOptions(dir.path);
  o.quotaBackendBytes = 64 * 1024;
  Server s(o, makeBackend("memory"), logger, plugins.registry);
  REQUIRE(s.start().isOk());
  const std::string value(4096, 'v');
  Status st;
  int written = 0;
  for (; written < 1000; ++written) {
    st = put(s, "k" + std::to_string(written), value);
    if (!st) break;
  }
  CHECK(st.is(Error::NoSpace));
  CHECK(written > 0);
  auto [gst, resp] = alarm(s, etcdserverpb::AlarmRequest::GET, etcdserverpb::NONE, 0);
  REQUIRE(gst.isOk());
  REQUIRE(resp.alarms_size() == 1);
  CHECK(resp.alarms(0).alarm() == etcdserverpb::NOSPACE);
  CHECK(resp.alarms(0).memberid() == s.memberId());
  CHECK(put(s, "small", "x").is(Error::NoSpace));
  s.stop();
}
