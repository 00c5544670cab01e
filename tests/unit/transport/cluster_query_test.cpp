// A member joining an existing cluster asks a running member for the
// cluster over the peer protocol: the running member's description and
// cluster id come back; one without a description, or nobody listening,
// answers an error naming the URL.
#include "transport/cluster_query.h"

#include <catch2/catch.hpp>
#include <chrono>

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

std::unique_ptr<TcpTransport> running(QuietLogger& logger, std::function<std::string()> describe) {
  TcpTransportOptions o;
  o.localId = 7;
  o.clusterId = 4242;
  o.listenUrls = {loopback(0)};
  o.describeCluster = std::move(describe);
  auto t = std::make_unique<TcpTransport>(o, logger);
  REQUIRE(t->start([](cairn::raftpb::Message&&) {}, {}).isOk());
  return t;
}

}  // namespace

TEST_CASE("a cluster query gets the running member's description and cluster id") {
  QuietLogger logger;
  auto t = running(logger, [] { return std::string("the members"); });
  uint64_t clusterId = 0;
  std::string answer;
  cairn::Status st =
      queryCluster(loopback(t->boundPorts().at(0)), nullptr, 2000ms, &clusterId, &answer);
  REQUIRE(st.isOk());
  CHECK(clusterId == 4242);
  CHECK(answer == "the members");
  t->stop();
}

TEST_CASE("a cluster query is refused by a member with nothing to describe, and fails on no one") {
  QuietLogger logger;
  auto t = running(logger, {});
  const uint16_t port = t->boundPorts().at(0);
  uint64_t clusterId = 0;
  std::string answer;
  cairn::Status st = queryCluster(loopback(port), nullptr, 2000ms, &clusterId, &answer);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.message().find("http://127.0.0.1:" + std::to_string(port)) == 0);
  t->stop();
  st = queryCluster(loopback(port), nullptr, 2000ms, &clusterId, &answer);
  REQUIRE_FALSE(st.isOk());
  CHECK(answer.empty());
}
