// Every call reaches the kernel with a RequestContext made from the gRPC
// call: the "token" metadata etcd clients send, the client's deadline, and a
// CancelToken cancelled when the client goes away.
#include <future>
#include <thread>

#include "test_server.h"

using cairn::RequestContext;
using cairn::Status;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

namespace {

// Polls `cond` for up to `timeout`.
template <typename Cond>
bool eventually(Cond cond, std::chrono::milliseconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

}  // namespace

TEST_CASE("The token metadata and the deadline reach the kernel", "[context]") {
  ServedKv s;
  s.fake().putMethod.script(cairn::api::test::replyOn<pb::PutRequest>(s.kernel, pb::PutResponse()));

  auto context = contextWithDeadline(30s);
  context->AddMetadata("token", "alice.42");
  const auto before = std::chrono::steady_clock::now();
  pb::PutResponse response;
  REQUIRE(s.kv->Put(context.get(), pb::PutRequest(), &response).ok());

  const std::vector<RequestContext> seen = s.fake().putMethod.contexts();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].token == "alice.42");
  CHECK_FALSE(seen[0].trusted);
  CHECK_FALSE(seen[0].cancelled());
  // 30 s from the client, measured on the kernel's steady clock.
  CHECK(seen[0].deadline > before + 25s);
  CHECK(seen[0].deadline < before + 35s);
}

TEST_CASE("A call without token or deadline has neither", "[context]") {
  ServedKv s;
  s.fake().rangeMethod.script(
      cairn::api::test::replyOn<pb::RangeRequest>(s.kernel, pb::RangeResponse()));
  grpc::ClientContext context;  // no deadline
  pb::RangeResponse response;
  REQUIRE(s.kv->Range(&context, pb::RangeRequest(), &response).ok());
  const std::vector<RequestContext> seen = s.fake().rangeMethod.contexts();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].token.empty());
  CHECK(seen[0].deadline == std::chrono::steady_clock::time_point::max());
}

TEST_CASE("Streams carry the stream's context", "[context]") {
  ServedKv s;
  SECTION("Watch") {
    auto context = contextWithDeadline();
    context->AddMetadata("token", "watcher");
    auto stream = s.watch->Watch(context.get());
    auto session = s.fakeWatch().waitForSession(0, 10s);
    REQUIRE(session);
    const auto contexts = s.fakeWatch().contexts();
    REQUIRE(contexts.size() == 1);
    CHECK(contexts[0].token == "watcher");
    context->TryCancel();
    CHECK(eventually([&] { return contexts[0].cancelled(); }));
  }
  SECTION("LeaseKeepAlive") {
    s.fakeLease().keepAliveMethod.script(cairn::api::test::replyOn<pb::LeaseKeepAliveRequest>(
        s.kernel, pb::LeaseKeepAliveResponse()));
    auto context = contextWithDeadline();
    context->AddMetadata("token", "keeper");
    auto stream = s.lease->LeaseKeepAlive(context.get());
    pb::LeaseKeepAliveRequest request;
    request.set_id(7);
    REQUIRE(stream->Write(request));
    pb::LeaseKeepAliveResponse response;
    REQUIRE(stream->Read(&response));
    const auto contexts = s.fakeLease().keepAliveMethod.contexts();
    REQUIRE(contexts.size() == 1);
    CHECK(contexts[0].token == "keeper");
    context->TryCancel();
    CHECK(eventually([&] { return contexts[0].cancelled(); }));
  }
}

TEST_CASE("A client cancelling a call cancels its context", "[context][cancel]") {
  ServedKv s;
  std::promise<cairn::Done<pb::RangeResponse>> held;
  s.fake().rangeMethod.script([&](const pb::RangeRequest&, cairn::Done<pb::RangeResponse> done) {
    held.set_value(std::move(done));
  });
  auto context = contextWithDeadline(30s);
  std::promise<grpc::Status> finished;
  pb::RangeRequest request;
  pb::RangeResponse response;
  s.kv->async()->Range(context.get(), &request, &response,
                       [&finished](grpc::Status st) { finished.set_value(st); });
  REQUIRE(s.fake().rangeMethod.waitForRequests(1, 10s));
  const RequestContext seen = s.fake().rangeMethod.contexts().at(0);
  CHECK_FALSE(seen.cancelled());

  context->TryCancel();
  CHECK(eventually([&] { return seen.cancelled(); }));
  CHECK(finished.get_future().get().error_code() == grpc::StatusCode::CANCELLED);
  // The kernel answering afterwards is harmless.
  held.get_future().get()(Status::ok(), pb::RangeResponse());
}

TEST_CASE("A call past its deadline cancels its context", "[context][cancel]") {
  ServedKv s;
  std::promise<cairn::Done<pb::PutResponse>> held;
  s.fake().putMethod.script([&](const pb::PutRequest&, cairn::Done<pb::PutResponse> done) {
    held.set_value(std::move(done));
  });
  auto context = contextWithDeadline(300ms);
  pb::PutResponse response;
  CHECK(s.kv->Put(context.get(), pb::PutRequest(), &response).error_code() ==
        grpc::StatusCode::DEADLINE_EXCEEDED);
  const RequestContext seen = s.fake().putMethod.contexts().at(0);
  CHECK(eventually([&] { return seen.cancelled(); }));
  held.get_future().get()(Status::ok(), pb::PutResponse());
}
