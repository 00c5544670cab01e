// The Lease service over a real gRPC channel against the fake kernel: unary
// calls, and LeaseKeepAlive streams (order, errors, half-close, cancel).
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
using namespace std::chrono_literals;

namespace {

pb::ResponseHeader header(int64_t revision) {
  pb::ResponseHeader h;
  h.set_cluster_id(14841639068965178418ull);
  h.set_member_id(10276657743932975437ull);
  h.set_revision(revision);
  h.set_raft_term(2);
  return h;
}

// Answers every keep-alive on the kernel thread: TTL 10 for known leases
// (ids below 1000), TTL 0 otherwise, as the kernel does for unknown ones.
void scriptKeepAlive(ServedKv& s) {
  s.fakeLease().keepAliveMethod.script(
      [&s](const pb::LeaseKeepAliveRequest& req, cairn::Done<pb::LeaseKeepAliveResponse> done) {
        pb::LeaseKeepAliveResponse r;
        *r.mutable_header() = header(5);
        r.set_id(req.id());
        r.set_ttl(req.id() < 1000 ? 10 : 0);
        s.kernel.post([done = std::move(done), r]() mutable { done(Status::ok(), std::move(r)); });
      });
}

}  // namespace

TEST_CASE("LeaseGrant round-trips", "[lease]") {
  ServedKv s;
  pb::LeaseGrantResponse scripted;
  *scripted.mutable_header() = header(3);
  scripted.set_id(0x694d7d2a4f4b3f05);
  scripted.set_ttl(60);
  s.fakeLease().grantMethod.script(replyOn<pb::LeaseGrantRequest>(s.kernel, scripted));

  pb::LeaseGrantRequest request;
  request.set_ttl(60);
  request.set_id(0x694d7d2a4f4b3f05);
  pb::LeaseGrantResponse response;
  auto context = contextWithDeadline();
  const grpc::Status status = s.lease->LeaseGrant(context.get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  const auto seen = s.fakeLease().grantMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(MessageDifferencer::Equals(seen[0], request));
}

TEST_CASE("LeaseRevoke, LeaseTimeToLive and LeaseLeases round-trip", "[lease]") {
  ServedKv s;
  pb::LeaseRevokeResponse revoked;
  *revoked.mutable_header() = header(4);
  s.fakeLease().revokeMethod.script(replyOn<pb::LeaseRevokeRequest>(s.kernel, revoked));
  pb::LeaseTimeToLiveResponse ttl;
  *ttl.mutable_header() = header(4);
  ttl.set_id(7);
  ttl.set_ttl(-1);  // unknown lease: the kernel's answer goes through as is
  ttl.set_grantedttl(0);
  ttl.add_keys("a");
  ttl.add_keys("b");
  s.fakeLease().timeToLiveMethod.script(replyOn<pb::LeaseTimeToLiveRequest>(s.kernel, ttl));
  pb::LeaseLeasesResponse leases;
  *leases.mutable_header() = header(4);
  leases.add_leases()->set_id(1);
  leases.add_leases()->set_id(2);
  s.fakeLease().leasesMethod.script(replyOn<pb::LeaseLeasesRequest>(s.kernel, leases));

  {
    pb::LeaseRevokeRequest request;
    request.set_id(7);
    pb::LeaseRevokeResponse response;
    auto context = contextWithDeadline();
    REQUIRE(s.lease->LeaseRevoke(context.get(), request, &response).ok());
    CHECK(MessageDifferencer::Equals(response, revoked));
    REQUIRE(s.fakeLease().revokeMethod.requests().size() == 1);
    CHECK(s.fakeLease().revokeMethod.requests()[0].id() == 7);
  }
  {
    pb::LeaseTimeToLiveRequest request;
    request.set_id(7);
    request.set_keys(true);
    pb::LeaseTimeToLiveResponse response;
    auto context = contextWithDeadline();
    REQUIRE(s.lease->LeaseTimeToLive(context.get(), request, &response).ok());
    CHECK(MessageDifferencer::Equals(response, ttl));
    REQUIRE(s.fakeLease().timeToLiveMethod.requests().size() == 1);
    CHECK(MessageDifferencer::Equals(s.fakeLease().timeToLiveMethod.requests()[0], request));
  }
  {
    pb::LeaseLeasesResponse response;
    auto context = contextWithDeadline();
    REQUIRE(s.lease->LeaseLeases(context.get(), pb::LeaseLeasesRequest(), &response).ok());
    CHECK(MessageDifferencer::Equals(response, leases));
  }
}

TEST_CASE("Unary lease errors reach the client verbatim", "[lease]") {
  ServedKv s;
  s.fakeLease().revokeMethod.script(failOn<pb::LeaseRevokeRequest, pb::LeaseRevokeResponse>(
      s.kernel, Status(StatusCode::NotFound, "etcdserver: requested lease not found")));
  s.fakeLease().grantMethod.script(failOn<pb::LeaseGrantRequest, pb::LeaseGrantResponse>(
      s.kernel, Status(StatusCode::FailedPrecondition, "etcdserver: lease already exists")));

  pb::LeaseRevokeResponse revoke;
  auto c1 = contextWithDeadline();
  const grpc::Status revokeStatus =
      s.lease->LeaseRevoke(c1.get(), pb::LeaseRevokeRequest(), &revoke);
  CHECK(revokeStatus.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(revokeStatus.error_message() == "etcdserver: requested lease not found");

  pb::LeaseGrantResponse grant;
  auto c2 = contextWithDeadline();
  const grpc::Status grantStatus = s.lease->LeaseGrant(c2.get(), pb::LeaseGrantRequest(), &grant);
  CHECK(grantStatus.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(grantStatus.error_message() == "etcdserver: lease already exists");
}

TEST_CASE("A kernel that throws fails a lease call with INTERNAL", "[lease]") {
  ServedKv s;
  s.fakeLease().leasesMethod.script(
      [](const pb::LeaseLeasesRequest&, cairn::Done<pb::LeaseLeasesResponse>) {
        throw std::runtime_error("boom");
      });
  pb::LeaseLeasesResponse response;
  auto context = contextWithDeadline();
  const grpc::Status status =
      s.lease->LeaseLeases(context.get(), pb::LeaseLeasesRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() == "cairn: lease request failed: boom");
}

TEST_CASE("LeaseKeepAlive answers several requests in order, one kernel call at a time",
          "[lease][keepalive]") {
  ServedKv s;
  // Each answer comes late, from another thread, and the first slowest: the
  // order holds only because requests are processed one after the other.
  std::atomic<int> inKernel{0};
  std::atomic<int> maxInKernel{0};
  s.fakeLease().keepAliveMethod.script(
      [&](const pb::LeaseKeepAliveRequest& req, cairn::Done<pb::LeaseKeepAliveResponse> done) {
        const int now = ++inKernel;
        int seen = maxInKernel.load();
        while (now > seen && !maxInKernel.compare_exchange_weak(seen, now)) {
        }
        std::thread([&inKernel, id = req.id(), done = std::move(done)]() mutable {
          std::this_thread::sleep_for(id == 1 ? 50ms : 1ms);
          pb::LeaseKeepAliveResponse r;
          *r.mutable_header() = header(5);
          r.set_id(id);
          r.set_ttl(id < 1000 ? 10 : 0);
          --inKernel;
          done(Status::ok(), std::move(r));
        }).detach();
      });

  auto context = contextWithDeadline();
  auto stream = s.lease->LeaseKeepAlive(context.get());
  const std::vector<int64_t> ids = {1, 2, 3, 4242, 5, 6};
  for (int64_t id : ids) {
    pb::LeaseKeepAliveRequest req;
    req.set_id(id);
    REQUIRE(stream->Write(req));
  }
  for (int64_t id : ids) {
    pb::LeaseKeepAliveResponse r;
    REQUIRE(stream->Read(&r));
    CHECK(r.id() == id);
    CHECK(r.ttl() == (id < 1000 ? 10 : 0));  // 0: unknown lease, not an error
    CHECK(r.header().revision() == 5);
  }
  REQUIRE(stream->WritesDone());
  pb::LeaseKeepAliveResponse extra;
  CHECK_FALSE(stream->Read(&extra));
  const grpc::Status status = stream->Finish();
  INFO(status.error_message());
  CHECK(status.ok());
  CHECK(maxInKernel.load() == 1);
  CHECK(s.fakeLease().keepAliveMethod.requests().size() == ids.size());
}

TEST_CASE("LeaseKeepAlive half-close ends the stream OK after the pending answers",
          "[lease][keepalive]") {
  ServedKv s;
  scriptKeepAlive(s);
  auto context = contextWithDeadline();
  auto stream = s.lease->LeaseKeepAlive(context.get());
  for (int64_t id = 1; id <= 50; ++id) {
    pb::LeaseKeepAliveRequest req;
    req.set_id(id);
    REQUIRE(stream->Write(req));
  }
  // Half-close at once: everything already sent is still answered.
  REQUIRE(stream->WritesDone());
  for (int64_t id = 1; id <= 50; ++id) {
    pb::LeaseKeepAliveResponse r;
    REQUIRE(stream->Read(&r));
    CHECK(r.id() == id);
  }
  pb::LeaseKeepAliveResponse extra;
  CHECK_FALSE(stream->Read(&extra));
  CHECK(stream->Finish().ok());
}

TEST_CASE("A kernel error ends the keep-alive stream with that status", "[lease][keepalive]") {
  ServedKv s;
  s.fakeLease().keepAliveMethod.script(
      [&s](const pb::LeaseKeepAliveRequest& req, cairn::Done<pb::LeaseKeepAliveResponse> done) {
        s.kernel.post([id = req.id(), done = std::move(done)]() mutable {
          if (id == 666) {
            done(Status(StatusCode::Unavailable, "etcdserver: no leader"), {});
            return;
          }
          pb::LeaseKeepAliveResponse r;
          r.set_id(id);
          r.set_ttl(10);
          done(Status::ok(), std::move(r));
        });
      });
  auto context = contextWithDeadline();
  auto stream = s.lease->LeaseKeepAlive(context.get());
  for (int64_t id : {1, 2, 666, 3}) {
    pb::LeaseKeepAliveRequest req;
    req.set_id(id);
    stream->Write(req);  // the last may fail once the server finished
  }
  pb::LeaseKeepAliveResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.id() == 1);
  REQUIRE(stream->Read(&r));
  CHECK(r.id() == 2);
  CHECK_FALSE(stream->Read(&r));
  const grpc::Status status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(status.error_message() == "etcdserver: no leader");
  // Nothing after the failed request reached the kernel.
  CHECK(s.fakeLease().keepAliveMethod.requests().size() == 3);
}

TEST_CASE("A kernel answering inline, or throwing, on a keep-alive stream", "[lease][keepalive]") {
  ServedKv s;
  s.fakeLease().keepAliveMethod.script(
      [](const pb::LeaseKeepAliveRequest& req, cairn::Done<pb::LeaseKeepAliveResponse> done) {
        if (req.id() == 13) throw std::runtime_error("boom");
        pb::LeaseKeepAliveResponse r;
        r.set_id(req.id());
        done(Status::ok(), std::move(r));
      });
  auto context = contextWithDeadline();
  auto stream = s.lease->LeaseKeepAlive(context.get());
  pb::LeaseKeepAliveRequest req;
  req.set_id(12);
  REQUIRE(stream->Write(req));
  pb::LeaseKeepAliveResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.id() == 12);
  req.set_id(13);
  stream->Write(req);
  CHECK_FALSE(stream->Read(&r));
  const grpc::Status status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() == "cairn: lease keep-alive failed: boom");
}

TEST_CASE("A keep-alive answer arriving after the client cancelled is harmless",
          "[lease][keepalive][cancel]") {
  ServedKv s;
  std::promise<cairn::Done<pb::LeaseKeepAliveResponse>> held;
  s.fakeLease().keepAliveMethod.script(
      [&](const pb::LeaseKeepAliveRequest&, cairn::Done<pb::LeaseKeepAliveResponse> done) {
        held.set_value(std::move(done));
      });
  {
    auto context = contextWithDeadline();
    auto stream = s.lease->LeaseKeepAlive(context.get());
    pb::LeaseKeepAliveRequest req;
    req.set_id(1);
    REQUIRE(stream->Write(req));
    REQUIRE(s.fakeLease().keepAliveMethod.waitForRequests(1, 10s));
    context->TryCancel();
    pb::LeaseKeepAliveResponse r;
    CHECK_FALSE(stream->Read(&r));
    CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);
  }
  // Give the server time to run OnDone, then answer into the void.
  std::this_thread::sleep_for(100ms);
  cairn::Done<pb::LeaseKeepAliveResponse> done = held.get_future().get();
  pb::LeaseKeepAliveResponse late;
  late.set_id(1);
  done(Status::ok(), std::move(late));

  // The service still works.
  scriptKeepAlive(s);
  auto context = contextWithDeadline();
  auto stream = s.lease->LeaseKeepAlive(context.get());
  pb::LeaseKeepAliveRequest req;
  req.set_id(2);
  REQUIRE(stream->Write(req));
  pb::LeaseKeepAliveResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.id() == 2);
  stream->WritesDone();
  CHECK(stream->Finish().ok());
}

TEST_CASE("stop() with an open keep-alive stream returns within the grace period",
          "[lease][keepalive][lifecycle]") {
  ServedKv s({}, 200ms);
  // The second request waits in the kernel forever (until after stop).
  std::promise<cairn::Done<pb::LeaseKeepAliveResponse>> held;
  s.fakeLease().keepAliveMethod.script(
      [&](const pb::LeaseKeepAliveRequest& req, cairn::Done<pb::LeaseKeepAliveResponse> done) {
        if (req.id() == 2) {
          held.set_value(std::move(done));
          return;
        }
        pb::LeaseKeepAliveResponse r;
        r.set_id(req.id());
        s.kernel.post([done = std::move(done), r]() mutable { done(Status::ok(), std::move(r)); });
      });
  auto context = contextWithDeadline(30s);
  auto stream = s.lease->LeaseKeepAlive(context.get());
  pb::LeaseKeepAliveRequest req;
  req.set_id(1);
  REQUIRE(stream->Write(req));
  pb::LeaseKeepAliveResponse r;
  REQUIRE(stream->Read(&r));
  req.set_id(2);
  REQUIRE(stream->Write(req));
  REQUIRE(s.fakeLease().keepAliveMethod.waitForRequests(2, 10s));

  const auto before = std::chrono::steady_clock::now();
  s.server.stop();
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  CHECK_FALSE(stream->Read(&r));
  CHECK_FALSE(stream->Finish().ok());

  // The kernel answering after stop() is dropped.
  cairn::Done<pb::LeaseKeepAliveResponse> done = held.get_future().get();
  done(Status::ok(), pb::LeaseKeepAliveResponse());
}

TEST_CASE("An idle keep-alive stream does not hold stop() beyond the grace period",
          "[lease][keepalive][lifecycle]") {
  ServedKv s({}, 200ms);
  scriptKeepAlive(s);
  auto context = contextWithDeadline(30s);
  auto stream = s.lease->LeaseKeepAlive(context.get());
  pb::LeaseKeepAliveRequest req;
  req.set_id(1);
  REQUIRE(stream->Write(req));
  pb::LeaseKeepAliveResponse r;
  REQUIRE(stream->Read(&r));
  const auto before = std::chrono::steady_clock::now();
  s.server.stop();
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  CHECK_FALSE(stream->Read(&r));
  CHECK_FALSE(stream->Finish().ok());
}
