// The Watch service over a real gRPC channel against the fake kernel's
// pull-based sessions: requests in order, every queued response delivered in
// order whatever the timing of onReady, cancel and stop.
#include <atomic>
#include <future>
#include <thread>

#include "test_server.h"

using cairn::api::test::contextWithDeadline;
using cairn::api::test::FakeWatchSession;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

namespace {

pb::WatchResponse event(int64_t watchId, int64_t revision) {
  pb::WatchResponse r;
  r.mutable_header()->set_revision(revision);
  r.set_watch_id(watchId);
  auto* e = r.add_events();
  e->mutable_kv()->set_key("k" + std::to_string(revision));
  e->mutable_kv()->set_mod_revision(revision);
  return r;
}

pb::WatchRequest create(const std::string& key) {
  pb::WatchRequest req;
  req.mutable_create_request()->set_key(key);
  return req;
}

// Answers a create with etcd's "created" response, inline from request().
void answerCreates(ServedKv& s) {
  s.fakeWatch().scriptRequests([](const pb::WatchRequest& req, FakeWatchSession& session) {
    if (!req.has_create_request()) return;
    pb::WatchResponse r;
    r.mutable_header()->set_revision(1);
    r.set_watch_id(req.create_request().watch_id());
    r.set_created(true);
    session.push(std::move(r));
  });
}

}  // namespace

TEST_CASE("A create request reaches the session and its answer comes back", "[watch]") {
  ServedKv s;
  answerCreates(s);
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  pb::WatchRequest req = create("foo");
  req.mutable_create_request()->set_range_end("fop");
  req.mutable_create_request()->set_prev_kv(true);
  req.mutable_create_request()->set_watch_id(7);
  req.mutable_create_request()->set_fragment(true);
  REQUIRE(stream->Write(req));
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.created());
  CHECK(r.watch_id() == 7);

  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  const auto seen = session->requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].create_request().key() == "foo");
  CHECK(seen[0].create_request().range_end() == "fop");
  CHECK(seen[0].create_request().prev_kv());
  CHECK(seen[0].create_request().fragment());

  // Cancel and progress requests go through in order too.
  pb::WatchRequest cancel;
  cancel.mutable_cancel_request()->set_watch_id(7);
  REQUIRE(stream->Write(cancel));
  pb::WatchRequest progress;
  progress.mutable_progress_request();
  REQUIRE(stream->Write(progress));
  REQUIRE(session->waitForRequests(3, 10s));
  CHECK(session->requests()[1].has_cancel_request());
  CHECK(session->requests()[2].has_progress_request());
  context->TryCancel();
  stream->Finish();
}

TEST_CASE("Responses queued before and after onReady all arrive, in order", "[watch]") {
  ServedKv s;
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  // Queued silently first: nothing is sent before a wake-up...
  session->push(event(1, 1), /*notify=*/false);
  session->push(event(1, 2), /*notify=*/false);
  // ...and one wake-up delivers them and what follows.
  session->fireOnReady();
  for (int64_t rev = 3; rev <= 20; ++rev) session->push(event(1, rev));
  for (int64_t rev = 1; rev <= 20; ++rev) {
    pb::WatchResponse r;
    REQUIRE(stream->Read(&r));
    CHECK(r.header().revision() == rev);
    CHECK(r.events(0).kv().key() == "k" + std::to_string(rev));
  }
  context->TryCancel();
  stream->Finish();
}

TEST_CASE("A client half-close does not end the watch stream", "[watch]") {
  ServedKv s;
  answerCreates(s);
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  REQUIRE(stream->Write(create("a")));
  REQUIRE(stream->WritesDone());
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.created());
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  // Still sending after the half-close, as etcd does.
  std::this_thread::sleep_for(50ms);
  session->push(event(0, 2));
  REQUIRE(stream->Read(&r));
  CHECK(r.header().revision() == 2);
  CHECK_FALSE(session->closed());
  context->TryCancel();
  CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);
  CHECK(session->waitClosed(10s));
}

TEST_CASE("10,000 responses pass one write at a time, in order", "[watch][flow]") {
  ServedKv s;
  auto context = contextWithDeadline(60s);
  auto stream = s.watch->Watch(context.get());
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  constexpr int64_t kCount = 10000;
  // The kernel side queues in bursts from its own thread while the plugin
  // drains; each empty-to-non-empty transition wakes the plugin.
  std::thread producer([&] {
    for (int64_t rev = 1; rev <= kCount; ++rev) {
      session->push(event(1, rev));
      if (rev % 97 == 0) std::this_thread::sleep_for(1ms);
    }
  });
  int64_t expected = 1;
  pb::WatchResponse r;
  while (expected <= kCount && stream->Read(&r)) {
    if (r.header().revision() != expected) break;
    ++expected;
  }
  producer.join();
  CHECK(expected == kCount + 1);
  CHECK(session->queued() == 0);
  context->TryCancel();
  stream->Finish();
}

TEST_CASE("Wake-ups racing with the drain never strand a response", "[watch][race]") {
  // Stress: one thread queues responses in small bursts, another fires
  // spurious wake-ups; the client must see every response, in order, each
  // burst without waiting for a later one.
  ServedKv s;
  auto context = contextWithDeadline(60s);
  auto stream = s.watch->Watch(context.get());
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  std::atomic<bool> stop{false};
  std::thread waker([&] {
    while (!stop) {
      session->fireOnReady();
      std::this_thread::yield();
    }
  });
  int64_t rev = 0;
  for (int burst = 0; burst < 2000; ++burst) {
    const int size = 1 + burst % 3;
    for (int i = 0; i < size; ++i) session->push(event(1, rev + 1 + i));
    // Each burst must arrive on its own: a stranded response would hang here
    // (and fail at the deadline).
    for (int i = 0; i < size; ++i) {
      pb::WatchResponse r;
      REQUIRE(stream->Read(&r));
      REQUIRE(r.header().revision() == ++rev);
    }
  }
  stop = true;
  waker.join();
  context->TryCancel();
  stream->Finish();
}

TEST_CASE("Client cancel closes the session", "[watch][cancel]") {
  ServedKv s;
  answerCreates(s);
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  REQUIRE(stream->Write(create("a")));
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  CHECK_FALSE(session->closed());
  context->TryCancel();
  CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);
  CHECK(session->waitClosed(10s));
}

TEST_CASE("Client cancel with responses still queued and a write in flight", "[watch][cancel]") {
  ServedKv s;
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  // More than the transport buffers hold, so a write is pending when the
  // client goes away.
  pb::WatchResponse big = event(1, 1);
  big.mutable_events(0)->mutable_kv()->set_value(std::string(1 << 20, 'v'));
  for (int i = 0; i < 20; ++i) session->push(big);
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  context->TryCancel();
  CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);
  CHECK(session->waitClosed(10s));
}

TEST_CASE("A wake-up after the stream is gone is harmless", "[watch][cancel]") {
  ServedKv s;
  std::shared_ptr<FakeWatchSession> session;
  {
    auto context = contextWithDeadline();
    auto stream = s.watch->Watch(context.get());
    session = s.fakeWatch().waitForSession(0, 10s);
    REQUIRE(session);
    context->TryCancel();
    stream->Finish();
  }
  REQUIRE(session->waitClosed(10s));
  // The reactor is gone (or going): a stale onReady must not touch it. The
  // real kernel never calls onReady after close(); this checks it would be
  // safe anyway.
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 10; ++i) session->fireOnReadyIgnoringClose();
  // The server still serves watches.
  answerCreates(s);
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  REQUIRE(stream->Write(create("b")));
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.created());
  context->TryCancel();
  stream->Finish();
}

TEST_CASE("stop() with an open watch stream returns within the grace period",
          "[watch][lifecycle]") {
  ServedKv s({}, 200ms);
  answerCreates(s);
  auto context = contextWithDeadline(30s);
  auto stream = s.watch->Watch(context.get());
  REQUIRE(stream->Write(create("a")));
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  auto session = s.fakeWatch().waitForSession(0, 10s);
  REQUIRE(session);
  // A backlog the client does not read, so a write may be stuck too.
  pb::WatchResponse big = event(0, 2);
  big.mutable_events(0)->mutable_kv()->set_value(std::string(1 << 20, 'v'));
  for (int i = 0; i < 20; ++i) session->push(big);

  const auto before = std::chrono::steady_clock::now();
  s.server.stop();
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  CHECK(session->closed());
  while (stream->Read(&r)) {
  }
  CHECK_FALSE(stream->Finish().ok());
  // A late wake-up after stop() finds nothing.
  session->fireOnReadyIgnoringClose();
}

TEST_CASE("A session request that throws ends the stream with INTERNAL", "[watch]") {
  ServedKv s;
  s.fakeWatch().scriptRequests(
      [](const pb::WatchRequest&, FakeWatchSession&) { throw std::runtime_error("boom"); });
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  REQUIRE(stream->Write(create("a")));
  pb::WatchResponse r;
  CHECK_FALSE(stream->Read(&r));
  const grpc::Status status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() == "cairn: watch request failed: boom");
}

TEST_CASE("A response that cannot be serialized ends the stream with INTERNAL", "[watch]") {
  ServedKv s;
  s.fakeWatch().scriptRequests([](const pb::WatchRequest& req, FakeWatchSession& session) {
    if (!req.has_create_request()) return;
    session.push(event(0, 1));
    session.pushUnencodable(event(0, 2));
    session.push(event(0, 3));
  });
  auto context = contextWithDeadline();
  auto stream = s.watch->Watch(context.get());
  REQUIRE(stream->Write(create("a")));
  pb::WatchResponse r;
  REQUIRE(stream->Read(&r));
  CHECK(r.header().revision() == 1);
  CHECK_FALSE(stream->Read(&r));  // nothing after the one that failed
  const grpc::Status status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() == "cairn: cannot serialize the response");
}
