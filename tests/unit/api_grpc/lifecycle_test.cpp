// Starting and stopping the server: listen URLs, bind failures, and stopping
// with calls still waiting on the kernel.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <thread>

#include "test_server.h"

using cairn::Status;
using cairn::StatusCode;
using cairn::api::GrpcServer;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::FakeHost;
using cairn::api::test::freePort;
using cairn::api::test::KernelThread;
using cairn::api::test::replyOn;
using cairn::api::test::ServedKv;
using cairn::test::Flags;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

namespace {

grpc::Status rangeVia(const std::string& target, std::string key = "k") {
  auto stub = pb::KV::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  pb::RangeRequest request;
  request.set_key(std::move(key));
  pb::RangeResponse response;
  auto context = contextWithDeadline();
  return stub->Range(context.get(), request, &response);
}

// A plain listening socket (no SO_REUSEPORT), like another process holding
// the port.
class PortHolder {
 public:
  PortHolder() { fd_ = cairn::api::test::loopbackSocket(1, &port_); }
  ~PortHolder() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("stop() with a call still waiting on the kernel returns promptly", "[lifecycle]") {
  ServedKv s({}, 200ms);
  std::promise<cairn::Done<pb::RangeResponse>> heldDone;
  s.fake().rangeMethod.script([&](const pb::RangeRequest&, cairn::Done<pb::RangeResponse> done) {
    heldDone.set_value(std::move(done));
  });
  auto client = std::async(std::launch::async, [&] {
    pb::RangeResponse response;
    auto context = contextWithDeadline(30s);
    return s.kv->Range(context.get(), pb::RangeRequest(), &response);
  });
  REQUIRE(s.fake().rangeMethod.waitForRequests(1, 10s));

  const auto before = std::chrono::steady_clock::now();
  s.server.stop();
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(took < 5s);

  REQUIRE(client.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(client.get().ok());

  // The kernel answering after stop() is dropped without harm.
  cairn::Done<pb::RangeResponse> done = heldDone.get_future().get();
  done(Status::ok(), pb::RangeResponse());
  CHECK(s.server.boundAddresses().empty());
}

TEST_CASE("stop() lets a call answered within the grace period complete", "[lifecycle]") {
  ServedKv s({}, 10s);
  std::promise<cairn::Done<pb::RangeResponse>> heldDone;
  s.fake().rangeMethod.script([&](const pb::RangeRequest&, cairn::Done<pb::RangeResponse> done) {
    heldDone.set_value(std::move(done));
  });
  pb::RangeResponse response;
  auto client = std::async(std::launch::async, [&] {
    auto context = contextWithDeadline(30s);
    return s.kv->Range(context.get(), pb::RangeRequest(), &response);
  });
  REQUIRE(s.fake().rangeMethod.waitForRequests(1, 10s));

  auto stopping = std::async(std::launch::async, [&] { s.server.stop(); });
  std::this_thread::sleep_for(100ms);
  CHECK(stopping.wait_for(0s) == std::future_status::timeout);  // waiting for the call
  pb::RangeResponse answer;
  answer.set_count(5);
  s.kernel.post([done = heldDone.get_future().get(), answer]() mutable {
    done(Status::ok(), std::move(answer));
  });
  REQUIRE(stopping.wait_for(5s) == std::future_status::ready);
  REQUIRE(client.wait_for(5s) == std::future_status::ready);
  const grpc::Status status = client.get();
  INFO(status.error_message());
  CHECK(status.ok());
  CHECK(response.count() == 5);
}

TEST_CASE("stop() is idempotent and safe before start()", "[lifecycle]") {
  GrpcServer never;
  never.stop();
  never.stop();
  ServedKv s;
  const std::string address = s.address;
  s.server.stop();
  s.server.stop();
  CHECK(rangeVia(address).error_code() == grpc::StatusCode::UNAVAILABLE);
}

TEST_CASE("A second start() is refused", "[lifecycle]") {
  ServedKv s;
  const Status again = s.server.start(s.host);
  CHECK(again.code() == StatusCode::FailedPrecondition);
}

TEST_CASE("A port held by another process fails start() with Go's message", "[lifecycle][bind]") {
  PortHolder holder;
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:" + std::to_string(holder.port())}});
  GrpcServer server;
  const Status status = server.start(host);
  CHECK_FALSE(status.isOk());
  CHECK(status.message() ==
        "listen tcp 127.0.0.1:" + std::to_string(holder.port()) + ": bind: address already in use");
  CHECK(server.boundAddresses().empty());
}

TEST_CASE("Two servers cannot share a client port", "[lifecycle][bind]") {
  // gRPC would allow it with SO_REUSEPORT; etcd does not.
  ServedKv first;
  const std::string address = first.server.boundAddresses()[0];
  FakeHost host({{"listen-client-urls", "http://" + address}});
  GrpcServer second;
  const Status status = second.start(host);
  CHECK_FALSE(status.isOk());
  CHECK(status.message() == "listen tcp " + address + ": bind: address already in use");

  // The first one is unaffected.
  first.fake().rangeMethod.script(replyOn<pb::RangeRequest>(first.kernel, pb::RangeResponse()));
  CHECK(rangeVia(address).ok());
}

TEST_CASE("One failing URL fails the whole start and frees the others", "[lifecycle][bind]") {
  PortHolder holder;
  const int freeOne = freePort();
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:" + std::to_string(freeOne) +
                                            ",http://127.0.0.1:" + std::to_string(holder.port())}});
  GrpcServer server;
  CHECK_FALSE(server.start(host).isOk());
  // The port that did bind was released: a new server can take it.
  FakeHost retry({{"listen-client-urls", "http://127.0.0.1:" + std::to_string(freeOne)}});
  GrpcServer again;
  const Status status = again.start(retry);
  INFO(status.message());
  CHECK(status.isOk());
}

TEST_CASE("https URLs bound by api-grpc itself are refused: api-http terminates TLS",
          "[lifecycle][urls]") {
  FakeHost host(Flags{{"listen-client-urls", "https://127.0.0.1:0"}});
  GrpcServer server;
  const Status status = server.start(host);
  CHECK(status.code() == StatusCode::Unimplemented);
  CHECK_THAT(status.message(), Catch::Contains("client TLS is terminated by the api-http plugin"));
}

TEST_CASE("A malformed flag fails start() naming the flag", "[lifecycle][flags]") {
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:0"}, {"max-request-bytes", "lots"}});
  GrpcServer server;
  const Status status = server.start(host);
  CHECK(status.code() == StatusCode::InvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains("max-request-bytes"));
}

TEST_CASE("Every client URL is served, TCP and unix", "[lifecycle][urls]") {
  const int port1 = freePort();
  const int port2 = freePort();
  // etcd serves a unix URL's authority as a socket path relative to the
  // working directory; the kernel's URL parser allows no path.
  const std::string socketPath = "localhost:" + std::to_string(freePort());
  KernelThread kernel;
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:" + std::to_string(port1) +
                                            ", http://127.0.0.1:" + std::to_string(port2) +
                                            ",unix://" + socketPath}});
  host.fakeKv().rangeMethod.script(replyOn<pb::RangeRequest>(kernel, pb::RangeResponse()));
  GrpcServer server;
  const Status status = server.start(host);
  INFO(status.message());
  REQUIRE(status.isOk());
  // The kernel hands the URLs over sorted, as etcd stores them.
  std::vector<std::string> bound = server.boundAddresses();
  std::vector<std::string> expected = {"127.0.0.1:" + std::to_string(port1),
                                       "127.0.0.1:" + std::to_string(port2), socketPath};
  std::sort(bound.begin(), bound.end());
  std::sort(expected.begin(), expected.end());
  REQUIRE(bound == expected);

  CHECK(rangeVia("127.0.0.1:" + std::to_string(port1), "a").ok());
  CHECK(rangeVia("127.0.0.1:" + std::to_string(port2), "b").ok());
  CHECK(rangeVia("unix:" + socketPath, "c").ok());
  CHECK(host.fakeKv().rangeMethod.requests().size() == 3);

  // etcd's startup line, once per listener, with the bound address.
  const auto lines = host.capturedLog().lines();
  REQUIRE(lines.size() == 3);
  CHECK(std::find(lines.begin(), lines.end(),
                  "serving client traffic insecurely; this is strongly discouraged! "
                  "{\"address\":\"127.0.0.1:" +
                      std::to_string(port1) + "\"}") != lines.end());
  server.stop();
  ::unlink(socketPath.c_str());
}

TEST_CASE("stop() racing many kernel answers neither hangs nor crashes", "[lifecycle][race]") {
  constexpr int kCalls = 64;
  ServedKv s({}, 50ms);
  std::mutex mu;
  std::vector<cairn::Done<pb::PutResponse>> held;  // guarded by mu
  s.fake().putMethod.script([&](const pb::PutRequest&, cairn::Done<pb::PutResponse> done) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(done));
  });
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<pb::PutRequest> requests(kCalls);
  std::vector<pb::PutResponse> responses(kCalls);
  std::vector<std::promise<grpc::Status>> finished(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(contextWithDeadline(30s));
    s.kv->async()->Put(contexts[i].get(), &requests[i], &responses[i],
                       [&finished, i](grpc::Status st) { finished[i].set_value(st); });
  }
  REQUIRE(s.fake().putMethod.waitForRequests(kCalls, 10s));
  std::this_thread::sleep_for(50ms);  // let the scripts store their `done`s

  // The kernel answers every call while the server stops underneath it.
  std::vector<cairn::Done<pb::PutResponse>> answers;
  {
    std::lock_guard<std::mutex> lock(mu);
    answers = std::move(held);
  }
  std::thread kernel([&answers] {
    for (auto& done : answers) {
      done(Status::ok(), pb::PutResponse());
      std::this_thread::sleep_for(1ms);
    }
  });
  s.server.stop();
  kernel.join();
  for (int i = 0; i < kCalls; ++i) {
    REQUIRE(finished[i].get_future().wait_for(10s) == std::future_status::ready);
  }
}
