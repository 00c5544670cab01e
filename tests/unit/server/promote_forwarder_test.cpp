// PromoteForwarder against a scripted transport: the leader's answer and
// final errors come back as they are, anything else is asked again (every
// peer URL of the leader, a new leader once known) until etcd's request
// timeout, no leader gives "no leader", stop() ends what is queued.
#include "server/promote_forwarder.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "cairn/errors.h"

using namespace cairn;
using namespace cairn::server;
using namespace std::chrono_literals;

namespace {

// Answers each askPromote with the next scripted status (the last one
// repeats), or with `byPeer`'s answer when set; records who was asked where.
class ScriptedTransport final : public transport::Transport {
 public:
  explicit ScriptedTransport(std::vector<Status> script) : script_(std::move(script)) {}
  explicit ScriptedTransport(std::function<Status(uint64_t peer, const std::string& url)> byPeer)
      : byPeer_(std::move(byPeer)) {}
  Status start(Deliver, Feedback) override { return Status::ok(); }
  void send(std::vector<raftpb::Message>&&) override {}
  void addPeer(uint64_t, const std::vector<std::string>&) override {}
  void removePeer(uint64_t) override {}
  void stop() override {}
  Status askPromote(uint64_t peer, const std::string& url, uint64_t memberId,
                    std::chrono::milliseconds, std::string* response) override {
    std::lock_guard lk(mu);
    asked.push_back(std::to_string(peer) + "@" + url + "#" + std::to_string(memberId));
    Status st = byPeer_ ? byPeer_(peer, url) : script_[std::min(next_++, script_.size() - 1)];
    if (st) *response = "members";
    return st;
  }
  std::mutex mu;
  std::vector<std::string> asked;  // guarded by mu

 private:
  std::vector<Status> script_;
  std::function<Status(uint64_t, const std::string&)> byPeer_;
  std::size_t next_ = 0;  // guarded by mu
};

PromoteForwarder::Parts parts(ScriptedTransport& t, std::function<uint64_t()> leader) {
  PromoteForwarder::Parts p;
  p.leader = std::move(leader);
  p.peerUrlsOf = [](uint64_t id) {
    return std::vector<std::string>{"http://a:" + std::to_string(id),
                                    "http://b:" + std::to_string(id)};
  };
  p.transport = &t;
  p.requestTimeout = 300ms;
  p.electionTimeout = 20ms;
  p.retryInterval = 5ms;
  return p;
}

}  // namespace

TEST_CASE("a forwarded promote returns the leader's answer and its final errors at once") {
  ScriptedTransport ok({Status::ok()});
  PromoteForwarder f(parts(ok, [] { return 3; }));
  std::string response;
  REQUIRE(f.forwardNow(9, &response).isOk());
  CHECK(response == "members");
  CHECK(ok.asked == std::vector<std::string>{"3@http://a:3#9"});

  for (Error e : {Error::LearnerNotReady, Error::MemberNotFound, Error::MemberNotLearner}) {
    ScriptedTransport t({Status(e), Status::ok()});
    PromoteForwarder g(parts(t, [] { return 3; }));
    CHECK(g.forwardNow(9, &response).is(e));
    CHECK(t.asked.size() == 1);
  }
}

TEST_CASE("a forwarded promote asks again (each URL, the new leader) until it is answered") {
  // Leader 3 no longer leads (its first URL refuses, its second says so);
  // 4 leads once 3 has been asked twice.
  ScriptedTransport t([](uint64_t peer, const std::string& url) {
    if (peer == 4) return Status::ok();
    return url.rfind("http://a:", 0) == 0 ? Status(StatusCode::Unavailable, "refused")
                                          : Status(Error::NotLeader);
  });
  PromoteForwarder f(parts(t, [&t]() -> uint64_t {
    std::lock_guard lk(t.mu);
    return t.asked.size() < 4 ? 3 : 4;
  }));
  std::string response;
  REQUIRE(f.forwardNow(9, &response).isOk());
  std::lock_guard lk(t.mu);
  REQUIRE(t.asked.size() == 5);
  CHECK(t.asked[0] == "3@http://a:3#9");
  CHECK(t.asked[1] == "3@http://b:3#9");
  CHECK(t.asked[2] == "3@http://a:3#9");
  CHECK(t.asked[3] == "3@http://b:3#9");
  CHECK(t.asked[4] == "4@http://a:4#9");
}

TEST_CASE("a forwarded promote times out as etcd's, and finds no leader") {
  // A leader that keeps refusing otherwise (e.g. not enough started
  // members): etcd's follower asks until its request timeout.
  ScriptedTransport refusing({Status(Error::MemberNotEnoughStarted)});
  PromoteForwarder f(parts(refusing, [] { return 3; }));
  std::string response;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(f.forwardNow(9, &response).is(Error::Timeout));
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  CHECK(refusing.asked.size() > 2);

  ScriptedTransport unused({Status::ok()});
  PromoteForwarder g(parts(unused, [] { return 0; }));
  CHECK(g.forwardNow(9, &response).is(Error::NoLeader));
  CHECK(unused.asked.empty());
}

TEST_CASE("forward() answers on the forwarder's thread, and stop() ends the queued ones") {
  ScriptedTransport t({Status::ok()});
  PromoteForwarder f(parts(t, [] { return 3; }));
  std::promise<std::pair<Status, std::string>> got;
  f.forward(9, [&](const Status& st, std::string r) { got.set_value({st, std::move(r)}); });
  auto [st, r] = got.get_future().get();
  REQUIRE(st.isOk());
  CHECK(r == "members");

  // No leader: the first waits while the second is queued behind it.
  ScriptedTransport idle({Status::ok()});
  auto p = parts(idle, [] { return 0; });
  p.requestTimeout = 10s;
  PromoteForwarder h(std::move(p));
  std::promise<Status> first, second;
  h.forward(1, [&](const Status& s, std::string) { first.set_value(s); });
  h.forward(2, [&](const Status& s, std::string) { second.set_value(s); });
  std::this_thread::sleep_for(30ms);
  const auto t0 = std::chrono::steady_clock::now();
  h.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(first.get_future().get().is(Error::Stopped));
  CHECK(second.get_future().get().is(Error::Stopped));
  std::promise<Status> late;
  h.forward(3, [&](const Status& s, std::string) { late.set_value(s); });
  CHECK(late.get_future().get().is(Error::Stopped));
}
