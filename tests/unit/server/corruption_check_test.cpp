// CorruptionCheck (etcd's corrupt.go) against simulated peers: which peers
// count, what is logged, when the start is refused and when CORRUPT is
// raised.
#include "corruption_check.h"

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/errors.h"

namespace cairn::server {
namespace {

struct Line {
  LogLevel level;
  std::string msg;
  std::string fields;
};

class RecordingLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view, std::string_view msg,
           std::string_view fields) override {
    std::lock_guard lk(mu);
    lines.push_back({level, std::string(msg), std::string(fields)});
  }
  int count(const std::string& msg) const {
    int n = 0;
    for (const auto& l : lines) n += l.msg == msg ? 1 : 0;
    return n;
  }
  const Line* find(const std::string& msg) const {
    for (const auto& l : lines) {
      if (l.msg == msg) return &l;
    }
    return nullptr;
  }
  std::mutex mu;
  std::vector<Line> lines;
};

// Each endpoint answers what the test says, or fails with the given status.
class FakePeers final : public HashKvPeers {
 public:
  Status hashKv(const std::string& endpoint, int64_t revision,
                transport::HashKvAnswer* out) override {
    asked.emplace_back(endpoint, revision);
    auto it = answers.find(endpoint);
    if (it != answers.end()) {
      *out = it->second;
      return Status::ok();
    }
    auto e = errors.find(endpoint);
    if (e != errors.end()) return e->second;
    return Status(StatusCode::Unavailable, endpoint + ": Connection refused");
  }
  std::map<std::string, transport::HashKvAnswer> answers;
  std::map<std::string, Status> errors;
  std::vector<std::pair<std::string, int64_t>> asked;
};

constexpr uint64_t kLocal = 0x10;

struct Rig {
  RecordingLogger logger;
  FakePeers peers;
  std::vector<transport::HashKvAnswer> localHashes;  // consumed in order
  std::size_t nextLocal = 0;
  std::vector<std::pair<uint64_t, std::vector<std::string>>> members = {
      {kLocal, {"http://a:2380"}}, {0x20, {"http://b:2380"}}, {0x30, {"http://c:2380"}}};
  Status readStatus = Status::ok();
  std::vector<etcdserverpb::AlarmRequest> alarms;

  CorruptionCheck check() {
    CorruptionCheck::Parts p;
    p.localId = kLocal;
    p.logger = &logger;
    p.peers = &peers;
    p.localHash = [this](transport::HashKvAnswer* out) {
      *out = localHashes.at(std::min(nextLocal++, localHashes.size() - 1));
      return Status::ok();
    };
    p.members = [this] { return members; };
    p.linearizableRead = [this] { return readStatus; };
    p.raiseAlarm = [this](const etcdserverpb::AlarmRequest& a) { alarms.push_back(a); };
    p.timeoutText = "7s";
    return CorruptionCheck(std::move(p));
  }
};

transport::HashKvAnswer hk(int64_t rev, int64_t crev, uint32_t hash) {
  return transport::HashKvAnswer{rev, crev, hash};
}

}  // namespace

TEST_CASE("initial check passes when peers agree, asking them at the local revision",
          "[corruption]") {
  Rig r;
  r.localHashes = {hk(9, 3, 777)};
  r.peers.answers["http://b:2380"] = hk(9, 3, 777);
  r.peers.answers["http://c:2380"] = hk(12, 3, 777);
  CHECK(r.check().initial());
  REQUIRE(r.peers.asked.size() == 2);  // never itself
  CHECK(r.peers.asked[0] == std::pair<std::string, int64_t>{"http://b:2380", 9});
  CHECK(r.logger.count("starting initial corruption check") == 1);
  CHECK(r.logger.find("starting initial corruption check")->fields.find("\"timeout\":\"7s\"") !=
        std::string::npos);
  CHECK(r.logger.count("initial corruption checking passed; no corruption") == 1);
}

TEST_CASE("initial check refuses a different hash at the same compact revision", "[corruption]") {
  Rig r;
  r.localHashes = {hk(9, 3, 777)};
  r.peers.answers["http://b:2380"] = hk(9, 3, 778);
  r.peers.answers["http://c:2380"] = hk(9, 3, 777);
  Status st = r.check().initial();
  CHECK_FALSE(st);
  CHECK(st.message() == "10 found data inconsistency with peers");
  CHECK(r.logger.count("found different hash values from remote peer") == 1);
  const Line* l = r.logger.find("found different hash values from remote peer");
  CHECK(l->level == LogLevel::Warn);
  CHECK(l->fields.find("\"remote-peer-endpoints\":[\"http://b:2380\"]") != std::string::npos);
  CHECK(l->fields.find("\"local-member-hash\":777") != std::string::npos);
  CHECK(l->fields.find("\"remote-peer-hash\":778") != std::string::npos);
  CHECK(r.logger.count("initial corruption checking passed; no corruption") == 0);
}

TEST_CASE(
    "initial check skips a different compact revision, unreachable, compacted and "
    "lagging peers",
    "[corruption]") {
  Rig r;
  r.members.push_back({0x40, {"http://d:2380", "http://d2:2380"}});
  r.members.push_back({0x50, {"http://e:2380"}});
  r.members.push_back({0x60, {}});  // no peer URLs: not asked
  r.localHashes = {hk(9, 3, 777)};
  r.peers.answers["http://b:2380"] = hk(9, 5, 1);  // compacted differently: no verdict
  r.peers.errors["http://c:2380"] = Status(Error::FutureRev);
  r.peers.errors["http://e:2380"] = Status(Error::Compacted);
  // d: neither URL answers.
  CHECK(r.check().initial());
  CHECK(r.logger.count("found different compact revision values from remote peer") == 1);
  CHECK(r.logger.count("cannot fetch hash from slow remote peer") == 1);
  CHECK(r.logger.count("cannot fetch hash from remote peer; local member is behind") == 1);
  // One line per failed URL: c, d, d2, e.
  CHECK(r.logger.count("failed hash kv request") == 4);
  CHECK(r.peers.asked.size() == 5);
  const Line* slow = r.logger.find("cannot fetch hash from slow remote peer");
  CHECK(slow->fields.find("\"remote-peer-id\":\"30\"") != std::string::npos);
  CHECK(r.logger.count("initial corruption checking passed; no corruption") == 1);
}

TEST_CASE("a peer's second URL is asked when the first fails", "[corruption]") {
  Rig r;
  r.members = {{kLocal, {"http://a:2380"}}, {0x20, {"http://b1:2380", "http://b2:2380"}}};
  r.localHashes = {hk(4, 0, 5)};
  r.peers.answers["http://b2:2380"] = hk(4, 0, 6);
  CHECK_FALSE(r.check().initial());
  CHECK(r.logger.count("failed hash kv request") == 1);
}

TEST_CASE("periodic check: agreeing followers raise nothing", "[corruption]") {
  Rig r;
  r.localHashes = {hk(9, 3, 777), hk(10, 3, 800)};
  r.peers.answers["http://b:2380"] = hk(9, 3, 777);
  r.peers.answers["http://c:2380"] = hk(8, 3, 777);  // a follower behind, same hash at 9
  CHECK(r.check().periodic());
  CHECK(r.alarms.empty());
  const Line* l = r.logger.find("finished peer corruption check");
  REQUIRE(l != nullptr);
  CHECK(l->fields == "\"number-of-peers-checked\":2");
}

TEST_CASE("periodic check: a follower's different hash raises CORRUPT once, member 0",
          "[corruption]") {
  Rig r;
  r.localHashes = {hk(9, 3, 777), hk(9, 3, 777)};
  r.peers.answers["http://b:2380"] = hk(9, 3, 1);
  r.peers.answers["http://c:2380"] = hk(9, 3, 2);
  CHECK(r.check().periodic());
  REQUIRE(r.alarms.size() == 1);
  CHECK(r.alarms[0].memberid() == 0);
  CHECK(r.alarms[0].action() == etcdserverpb::AlarmRequest::ACTIVATE);
  CHECK(r.alarms[0].alarm() == etcdserverpb::CORRUPT);
  CHECK(r.logger.count("same compact revision then hashes must match") == 2);
  CHECK(r.logger.find("same compact revision then hashes must match")
            ->fields.find("\"follower-peer-id\":\"20\"") != std::string::npos);
}

TEST_CASE("periodic check: a follower ahead of the leader, or compacted further, is corrupt",
          "[corruption]") {
  SECTION("revision") {
    Rig r;
    r.localHashes = {hk(9, 3, 777), hk(10, 3, 900)};
    r.peers.answers["http://b:2380"] = hk(11, 3, 777);
    CHECK(r.check().periodic());
    CHECK(r.alarms.size() == 1);
    CHECK(r.logger.count("revision from follower must be less than or equal to leader's") == 1);
  }
  SECTION("compact revision") {
    Rig r;
    r.localHashes = {hk(9, 3, 777), hk(9, 3, 777)};
    r.peers.answers["http://b:2380"] = hk(9, 4, 5);
    CHECK(r.check().periodic());
    CHECK(r.alarms.size() == 1);
    CHECK(r.logger.count("compact revision from follower must be less than or equal to leader's") ==
          1);
    // A different compact revision: the hashes are not compared.
    CHECK(r.logger.count("same compact revision then hashes must match") == 0);
  }
}

TEST_CASE("periodic check: the leader's own hash changing at the same revision is corrupt",
          "[corruption]") {
  Rig r;
  r.members = {{kLocal, {"http://a:2380"}}};
  r.localHashes = {hk(9, 3, 777), hk(9, 3, 778)};
  CHECK(r.check().periodic());
  CHECK(r.alarms.size() == 1);
  CHECK(r.logger.count("found hash mismatch") == 1);
}

TEST_CASE(
    "periodic check: unreachable followers are not counted, a failed read barrier "
    "fails the check",
    "[corruption]") {
  Rig r;
  r.localHashes = {hk(9, 3, 777), hk(9, 3, 777)};
  r.peers.answers["http://b:2380"] = hk(9, 3, 777);
  CHECK(r.check().periodic());
  CHECK(r.alarms.empty());
  CHECK(r.logger.find("finished peer corruption check")->fields == "\"number-of-peers-checked\":1");

  Rig failing;
  failing.localHashes = {hk(9, 3, 777)};
  failing.readStatus = Status(Error::Timeout);
  Status st = failing.check().periodic();
  CHECK(st.is(Error::Timeout));
  CHECK(failing.logger.count("finished peer corruption check") == 0);
}

}  // namespace cairn::server
