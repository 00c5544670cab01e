// A follower's MemberPromote forwarded to the leader over real TcpTransports
// on loopback: the leader's handler answered from another thread (as the
// apply loop answers a conf change), its catalogue errors passed back as
// they are, other failures as Unavailable, another cluster's member, a
// member without a handler, nobody listening.
#include "transport/promote_query.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "cairn/errors.h"
#include "transport/tcp_transport.h"

using namespace cairn::transport;
using namespace std::chrono_literals;

namespace {

class QuietLogger final : public cairn::Logger {
 public:
  void log(cairn::LogLevel, std::string_view, std::string_view, std::string_view) override {}
};

cairn::Url loopback(uint16_t port) {
  return cairn::Url{"http", "127.0.0.1", port, "http://127.0.0.1:" + std::to_string(port)};
}

// Answers like a leader that knows learner 5 (caught up), learner 6 (not
// yet), voter 7 and nothing else.
void leaderLike(uint64_t id, std::function<void(const cairn::Status&, std::string)> done) {
  std::thread([id, done = std::move(done)] {
    if (id == 5) {
      done(cairn::Status::ok(), "members after promoting 5");
    } else if (id == 6) {
      done(cairn::Status(cairn::Error::LearnerNotReady), {});
    } else if (id == 7) {
      done(cairn::Status(cairn::Error::MemberNotLearner), {});
    } else if (id == 8) {
      done(cairn::Status(cairn::Error::NotLeader), {});
    } else if (id == 9) {
      done(cairn::Status(cairn::StatusCode::Internal, "disk on fire"), {});
    } else {
      done(cairn::Status(cairn::Error::MemberNotFound), {});
    }
  }).detach();
}

std::unique_ptr<TcpTransport> running(QuietLogger& logger, PromoteHandler handler,
                                      uint64_t clusterId = 4242) {
  TcpTransportOptions o;
  o.localId = 7;
  o.clusterId = clusterId;
  o.listenUrls = {loopback(0)};
  auto t = std::make_unique<TcpTransport>(o, logger);
  t->setPromoteHandler(std::move(handler));
  REQUIRE(t->start([](cairn::raftpb::Message&&) {}, {}).isOk());
  return t;
}

}  // namespace

TEST_CASE("a forwarded promote gets the leader's members, or the leader's error as it is") {
  QuietLogger logger;
  auto leader = running(logger, leaderLike);
  auto follower = running(logger, {});
  const std::string url = "http://127.0.0.1:" + std::to_string(leader->boundPorts().at(0));
  std::string response;
  REQUIRE(follower->askPromote(7, url, 5, 2000ms, &response).isOk());
  CHECK(response == "members after promoting 5");

  cairn::Status st = follower->askPromote(7, url, 6, 2000ms, &response);
  CHECK(st.is(cairn::Error::LearnerNotReady));
  CHECK(st.message() ==
        "etcdserver: can only promote a learner member which is in sync with leader");
  CHECK(follower->askPromote(7, url, 7, 2000ms, &response).is(cairn::Error::MemberNotLearner));
  CHECK(follower->askPromote(7, url, 8, 2000ms, &response).is(cairn::Error::NotLeader));
  st = follower->askPromote(7, url, 1234, 2000ms, &response);
  CHECK(st.is(cairn::Error::MemberNotFound));
  CHECK(st.message() == "etcdserver: member not found");
  // A status outside the catalogue: the follower cannot tell it apart.
  st = follower->askPromote(7, url, 9, 2000ms, &response);
  CHECK(st.code() == cairn::StatusCode::Unavailable);
  CHECK(st.message() == url + ": disk on fire");
  // The same through the query itself.
  REQUIRE(queryPromote(loopback(leader->boundPorts().at(0)), nullptr, 2000ms, 4242, 5, &response)
              .isOk());
  leader->stop();
  follower->stop();
}

TEST_CASE(
    "a forwarded promote is refused by another cluster and by a member without a handler, and "
    "fails on no one") {
  QuietLogger logger;
  auto other = running(logger, leaderLike, 999);
  const uint16_t port = other->boundPorts().at(0);
  std::string response;
  cairn::Status st = queryPromote(loopback(port), nullptr, 2000ms, 4242, 5, &response);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.message() == "http://127.0.0.1:" + std::to_string(port) + ": cluster ID mismatch");
  other->stop();
  st = queryPromote(loopback(port), nullptr, 2000ms, 4242, 5, &response);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.code() == cairn::StatusCode::Unavailable);

  auto none = running(logger, {});
  st = queryPromote(loopback(none->boundPorts().at(0)), nullptr, 2000ms, 4242, 5, &response);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.code() == cairn::StatusCode::Unavailable);
  none->stop();

  // A URL that does not parse.
  auto asker = running(logger, {});
  CHECK(asker->askPromote(7, "::nonsense", 5, 2000ms, &response).code() ==
        cairn::StatusCode::Unavailable);
  asker->stop();
}
