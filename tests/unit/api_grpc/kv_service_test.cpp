// The KV service over a real gRPC channel against the fake kernel.
#include <google/protobuf/util/message_differencer.h>

#include <atomic>
#include <future>
#include <thread>

#include "test_server.h"

using cairn::Status;
using cairn::StatusCode;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::failOn;
using cairn::api::test::replyOn;
using cairn::api::test::ServedKv;
using google::protobuf::util::MessageDifferencer;
namespace pb = etcdserverpb;

namespace {

pb::ResponseHeader header(int64_t revision) {
  pb::ResponseHeader h;
  h.set_cluster_id(14841639068965178418ull);
  h.set_member_id(10276657743932975437ull);
  h.set_revision(revision);
  h.set_raft_term(2);
  return h;
}

}  // namespace

TEST_CASE("Range round-trips the request to the kernel and the response back", "[kv]") {
  ServedKv s;
  pb::RangeResponse scripted;
  *scripted.mutable_header() = header(7);
  auto* kv = scripted.add_kvs();
  kv->set_key("foo");
  kv->set_value("bar");
  kv->set_create_revision(2);
  kv->set_mod_revision(7);
  kv->set_version(3);
  kv->set_lease(0x1234);
  scripted.set_more(true);
  scripted.set_count(42);
  s.fake().rangeMethod.script(replyOn<pb::RangeRequest>(s.kernel, scripted));

  pb::RangeRequest request;
  request.set_key("foo");
  request.set_range_end("fop");
  request.set_limit(1);
  request.set_revision(6);
  request.set_sort_order(pb::RangeRequest::DESCEND);
  request.set_sort_target(pb::RangeRequest::MOD);
  request.set_serializable(true);
  request.set_keys_only(true);
  request.set_min_mod_revision(1);
  request.set_max_create_revision(9);

  pb::RangeResponse response;
  auto context = contextWithDeadline();
  const grpc::Status status = s.kv->Range(context.get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  const auto seen = s.fake().rangeMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(MessageDifferencer::Equals(seen[0], request));
}

TEST_CASE("Put round-trips", "[kv]") {
  ServedKv s;
  pb::PutResponse scripted;
  *scripted.mutable_header() = header(8);
  scripted.mutable_prev_kv()->set_key("k");
  scripted.mutable_prev_kv()->set_value("old");
  s.fake().putMethod.script(replyOn<pb::PutRequest>(s.kernel, scripted));

  pb::PutRequest request;
  request.set_key("k");
  request.set_value(std::string("new\0value", 9));  // binary-safe
  request.set_lease(99);
  request.set_prev_kv(true);
  request.set_ignore_lease(false);

  pb::PutResponse response;
  auto context = contextWithDeadline();
  REQUIRE(s.kv->Put(context.get(), request, &response).ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  const auto seen = s.fake().putMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(MessageDifferencer::Equals(seen[0], request));
}

TEST_CASE("DeleteRange round-trips", "[kv]") {
  ServedKv s;
  pb::DeleteRangeResponse scripted;
  *scripted.mutable_header() = header(9);
  scripted.set_deleted(2);
  scripted.add_prev_kvs()->set_key("a");
  scripted.add_prev_kvs()->set_key("b");
  s.fake().deleteRangeMethod.script(replyOn<pb::DeleteRangeRequest>(s.kernel, scripted));

  pb::DeleteRangeRequest request;
  request.set_key("a");
  request.set_range_end("c");
  request.set_prev_kv(true);

  pb::DeleteRangeResponse response;
  auto context = contextWithDeadline();
  REQUIRE(s.kv->DeleteRange(context.get(), request, &response).ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  const auto seen = s.fake().deleteRangeMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(MessageDifferencer::Equals(seen[0], request));
}

TEST_CASE("Txn round-trips nested compares and operations", "[kv]") {
  ServedKv s;
  pb::TxnResponse scripted;
  *scripted.mutable_header() = header(10);
  scripted.set_succeeded(true);
  scripted.add_responses()->mutable_response_put()->mutable_header()->set_revision(10);
  auto* nested = scripted.add_responses()->mutable_response_txn();
  nested->set_succeeded(false);
  nested->add_responses()->mutable_response_range()->set_count(1);
  s.fake().txnMethod.script(replyOn<pb::TxnRequest>(s.kernel, scripted));

  pb::TxnRequest request;
  auto* cmp = request.add_compare();
  cmp->set_key("k");
  cmp->set_result(pb::Compare::EQUAL);
  cmp->set_target(pb::Compare::VERSION);
  cmp->set_version(0);
  request.add_success()->mutable_request_put()->set_key("k");
  auto* inner = request.add_success()->mutable_request_txn();
  inner->add_failure()->mutable_request_range()->set_key("x");
  request.add_failure()->mutable_request_delete_range()->set_key("k");

  pb::TxnResponse response;
  auto context = contextWithDeadline();
  REQUIRE(s.kv->Txn(context.get(), request, &response).ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  const auto seen = s.fake().txnMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(MessageDifferencer::Equals(seen[0], request));
}

TEST_CASE("Compact round-trips", "[kv]") {
  ServedKv s;
  pb::CompactionResponse scripted;
  *scripted.mutable_header() = header(11);
  s.fake().compactMethod.script(replyOn<pb::CompactionRequest>(s.kernel, scripted));

  pb::CompactionRequest request;
  request.set_revision(5);
  request.set_physical(true);

  pb::CompactionResponse response;
  auto context = contextWithDeadline();
  REQUIRE(s.kv->Compact(context.get(), request, &response).ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  const auto seen = s.fake().compactMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(MessageDifferencer::Equals(seen[0], request));
}

TEST_CASE("Kernel errors reach the client with the same code and message", "[kv][errors]") {
  // etcd's own errors, as clients match them (rpctypes/error.go).
  const auto [code, message] = GENERATE(table<StatusCode, std::string>({
      {StatusCode::InvalidArgument, "etcdserver: key is not provided"},
      {StatusCode::OutOfRange, "etcdserver: mvcc: required revision has been compacted"},
      {StatusCode::FailedPrecondition, "etcdserver: requested lease not found"},
      {StatusCode::ResourceExhausted, "etcdserver: mvcc: database space exceeded"},
      {StatusCode::Unavailable, "etcdserver: leader changed"},
      {StatusCode::PermissionDenied, "etcdserver: permission denied"},
      {StatusCode::Unauthenticated, "etcdserver: invalid auth token"},
      {StatusCode::DeadlineExceeded, "etcdserver: request timed out"},
  }));
  ServedKv s;
  s.fake().putMethod.script(
      failOn<pb::PutRequest, pb::PutResponse>(s.kernel, Status(code, message)));

  pb::PutRequest request;
  request.set_key("k");
  pb::PutResponse response;
  auto context = contextWithDeadline();
  const grpc::Status status = s.kv->Put(context.get(), request, &response);
  CHECK(static_cast<int>(status.error_code()) == static_cast<int>(code));
  CHECK(status.error_message() == message);
}

TEST_CASE("A kernel answering on the caller's thread is served too", "[kv]") {
  // The Host contract allows `done` inside the call when validation fails.
  ServedKv s;
  s.fake().rangeMethod.script([](const pb::RangeRequest&, cairn::Done<pb::RangeResponse> done) {
    done(Status(StatusCode::InvalidArgument, "etcdserver: key is not provided"), {});
  });
  s.fake().putMethod.script([](const pb::PutRequest&, cairn::Done<pb::PutResponse> done) {
    pb::PutResponse r;
    r.mutable_header()->set_revision(3);
    done(Status::ok(), std::move(r));
  });

  pb::RangeResponse rangeResponse;
  auto c1 = contextWithDeadline();
  const grpc::Status rangeStatus = s.kv->Range(c1.get(), pb::RangeRequest(), &rangeResponse);
  CHECK(rangeStatus.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(rangeStatus.error_message() == "etcdserver: key is not provided");

  pb::PutResponse putResponse;
  auto c2 = contextWithDeadline();
  REQUIRE(s.kv->Put(c2.get(), pb::PutRequest(), &putResponse).ok());
  CHECK(putResponse.header().revision() == 3);
}

TEST_CASE("A kernel that throws fails the call with INTERNAL", "[kv]") {
  ServedKv s;
  s.fake().compactMethod.script(
      [](const pb::CompactionRequest&, cairn::Done<pb::CompactionResponse>) {
        throw std::runtime_error("boom");
      });
  pb::CompactionResponse response;
  auto context = contextWithDeadline();
  const grpc::Status status = s.kv->Compact(context.get(), pb::CompactionRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() == "cairn: kv request failed: boom");
}

TEST_CASE("Many concurrent calls each get their own answer", "[kv][concurrency]") {
  ServedKv s;
  // Answer in reverse arrival order once all have arrived, so responses cannot
  // line up with requests by accident.
  constexpr int kCalls = 64;
  std::mutex mu;
  std::vector<std::pair<std::string, cairn::Done<pb::RangeResponse>>> held;
  s.fake().rangeMethod.script(
      [&](const pb::RangeRequest& req, cairn::Done<pb::RangeResponse> done) {
        std::lock_guard<std::mutex> lock(mu);
        held.emplace_back(req.key(), std::move(done));
      });

  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<pb::RangeRequest> requests(kCalls);
  std::vector<pb::RangeResponse> responses(kCalls);
  std::vector<std::promise<grpc::Status>> finished(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(contextWithDeadline());
    requests[i].set_key("key-" + std::to_string(i));
    s.kv->async()->Range(contexts[i].get(), &requests[i], &responses[i],
                         [&finished, i](grpc::Status st) { finished[i].set_value(st); });
  }
  // Requests are recorded before the script runs, so wait for the scripts.
  const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (held.size() == kCalls) break;
    }
    REQUIRE(std::chrono::steady_clock::now() < giveUp);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      pb::RangeResponse r;
      r.add_kvs()->set_key(it->first);
      s.kernel.post(
          [done = std::move(it->second), r]() mutable { done(Status::ok(), std::move(r)); });
    }
  }
  for (int i = 0; i < kCalls; ++i) {
    const grpc::Status st = finished[i].get_future().get();
    INFO(i << ": " << st.error_code() << " " << st.error_message());
    REQUIRE(st.ok());
    REQUIRE(responses[i].kvs_size() == 1);
    CHECK(responses[i].kvs(0).key() == requests[i].key());
  }
}

TEST_CASE("A request above max-request-bytes + 512 KiB is refused before the kernel",
          "[kv][limits]") {
  constexpr int kMaxRequestBytes = 1024;
  ServedKv s({{"max-request-bytes", std::to_string(kMaxRequestBytes)}});
  pb::PutResponse ok;
  s.fake().putMethod.script(replyOn<pb::PutRequest>(s.kernel, ok));

  SECTION("over the limit: RESOURCE_EXHAUSTED") {
    pb::PutRequest request;
    request.set_key("big");
    request.set_value(std::string(kMaxRequestBytes + 512 * 1024 + 1, 'x'));
    pb::PutResponse response;
    auto context = contextWithDeadline();
    const grpc::Status status = s.kv->Put(context.get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    // grpc-go's wording, which etcd's clients see from etcd.
    const int limit = kMaxRequestBytes + 512 * 1024;
    CHECK(status.error_message() == "grpc: received message larger than max (" +
                                        std::to_string(request.ByteSizeLong()) + " vs. " +
                                        std::to_string(limit) + ")");
    CHECK(s.fake().putMethod.requests().empty());
  }
  SECTION("far over the limit: refused by gRPC itself, still RESOURCE_EXHAUSTED") {
    pb::PutRequest request;
    request.set_key("huge");
    request.set_value(std::string(3 * (kMaxRequestBytes + 512 * 1024), 'x'));
    pb::PutResponse response;
    auto context = contextWithDeadline();
    const grpc::Status status = s.kv->Put(context.get(), request, &response);
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(s.fake().putMethod.requests().empty());
  }
  SECTION("within the gRPC overhead: reaches the kernel") {
    // Between max-request-bytes and the transport limit the kernel decides
    // (etcd answers "request is too large" there, not the transport).
    pb::PutRequest request;
    request.set_key("big");
    request.set_value(std::string(kMaxRequestBytes + 256 * 1024, 'x'));
    pb::PutResponse response;
    auto context = contextWithDeadline();
    REQUIRE(s.kv->Put(context.get(), request, &response).ok());
    CHECK(s.fake().putMethod.requests().size() == 1);
  }
}

TEST_CASE("A client that gives up does not disturb a late kernel answer", "[kv][cancel]") {
  ServedKv s;
  std::promise<cairn::Done<pb::RangeResponse>> heldDone;
  s.fake().rangeMethod.script([&](const pb::RangeRequest&, cairn::Done<pb::RangeResponse> done) {
    heldDone.set_value(std::move(done));
  });
  pb::RangeResponse response;
  auto context = contextWithDeadline(std::chrono::milliseconds(200));
  const grpc::Status status = s.kv->Range(context.get(), pb::RangeRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);

  // The kernel answers after the call is gone: dropped, no crash.
  cairn::Done<pb::RangeResponse> done = heldDone.get_future().get();
  pb::RangeResponse late;
  late.set_count(1);
  done(Status::ok(), std::move(late));

  // And the server keeps serving.
  s.fake().rangeMethod.script(replyOn<pb::RangeRequest>(s.kernel, pb::RangeResponse()));
  auto again = contextWithDeadline();
  CHECK(s.kv->Range(again.get(), pb::RangeRequest(), &response).ok());
}
