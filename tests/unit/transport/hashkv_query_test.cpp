// The HashKV peer request over real TcpTransports on loopback: the
// answering member's handler (answered from another thread, as the server
// hashes on its read pool), its store's errors, another cluster's member,
// nobody listening.
#include "transport/hashkv_query.h"

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

// Answers like a store at revision 20 compacted at 5.
void storeLike(int64_t rev, std::function<void(const cairn::Status&, const HashKvAnswer&)> done) {
  std::thread([rev, done = std::move(done)] {
    if (rev > 0 && rev <= 5) {
      done(cairn::Status(cairn::Error::Compacted), {});
    } else if (rev > 20) {
      done(cairn::Status(cairn::Error::FutureRev), {});
    } else {
      done(cairn::Status::ok(), HashKvAnswer{20, 5, 0xdeadbeefu + static_cast<uint32_t>(rev)});
    }
  }).detach();
}

std::unique_ptr<TcpTransport> running(QuietLogger& logger, HashKvHandler handler) {
  TcpTransportOptions o;
  o.localId = 7;
  o.clusterId = 4242;
  o.listenUrls = {loopback(0)};
  o.hashKv = std::move(handler);
  auto t = std::make_unique<TcpTransport>(o, logger);
  REQUIRE(t->start([](cairn::raftpb::Message&&) {}, {}).isOk());
  return t;
}

}  // namespace

TEST_CASE("a HashKV request gets the peer's revision, compact revision and hash") {
  QuietLogger logger;
  auto t = running(logger, storeLike);
  const auto url = loopback(t->boundPorts().at(0));
  HashKvAnswer a;
  REQUIRE(queryHashKv(url, nullptr, 2000ms, 4242, 9, &a).isOk());
  CHECK(a.revision == 20);
  CHECK(a.compactRevision == 5);
  CHECK(a.hash == 0xdeadbeefu + 9);
  // Several in a row, each on its own connection.
  for (int64_t rev : {6, 20, 0}) {
    REQUIRE(queryHashKv(url, nullptr, 2000ms, 4242, rev, &a).isOk());
    CHECK(a.hash == 0xdeadbeefu + static_cast<uint32_t>(rev));
  }
  t->stop();
}

TEST_CASE("a HashKV request answers the peer store's compacted and future-revision errors") {
  QuietLogger logger;
  auto t = running(logger, storeLike);
  const auto url = loopback(t->boundPorts().at(0));
  HashKvAnswer a;
  CHECK(queryHashKv(url, nullptr, 2000ms, 4242, 3, &a).is(cairn::Error::Compacted));
  CHECK(queryHashKv(url, nullptr, 2000ms, 4242, 21, &a).is(cairn::Error::FutureRev));
  t->stop();
}

TEST_CASE(
    "a HashKV request is refused by another cluster and by a member without a handler, "
    "and fails on no one") {
  QuietLogger logger;
  auto t = running(logger, storeLike);
  const uint16_t port = t->boundPorts().at(0);
  HashKvAnswer a;
  cairn::Status st = queryHashKv(loopback(port), nullptr, 2000ms, 999, 9, &a);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.message() == "http://127.0.0.1:" + std::to_string(port) + ": cluster ID mismatch");
  t->stop();
  st = queryHashKv(loopback(port), nullptr, 2000ms, 4242, 9, &a);
  REQUIRE_FALSE(st.isOk());
  CHECK(st.code() == cairn::StatusCode::Unavailable);

  auto none = running(logger, {});
  st = queryHashKv(loopback(none->boundPorts().at(0)), nullptr, 2000ms, 4242, 9, &a);
  REQUIRE_FALSE(st.isOk());
  none->stop();
}
