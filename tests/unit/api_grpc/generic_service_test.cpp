// Services registered by plugins (Host::services()) are served over gRPC
// from their ServiceDef: unary handlers, server streams and bidirectional
// streams driven through a StreamCall.
#include <future>
#include <thread>

#include "generic_grpc_service.h"
#include "test_server.h"
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

using cairn::Error;
using cairn::RequestContext;
using cairn::ServiceDef;
using cairn::Status;
using cairn::StatusCode;
using cairn::api::GenericGrpcService;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::FakeHost;
using cairn::api::test::FakeServiceRegistry;
using cairn::api::test::FakeStreamCall;
using cairn::api::test::FakeStreams;
using cairn::api::test::KernelThread;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

namespace {

template <typename Cond>
bool eventually(Cond cond, std::chrono::milliseconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

// v3lockpb.Lock with only Lock: answers "<name>/lease" on the kernel thread,
// or an election error for the name "fail"; records each context.
struct LockPlugin {
  explicit LockPlugin(KernelThread& kernel) : kernel(kernel) {}

  ServiceDef def() {
    ServiceDef d;
    d.name = "v3lockpb.Lock";
    d.method<v3lockpb::LockRequest, v3lockpb::LockResponse>(
        "Lock", [this](const RequestContext& ctx, const v3lockpb::LockRequest& req,
                       cairn::Done<v3lockpb::LockResponse> done) {
          {
            std::lock_guard<std::mutex> lock(mu);
            contexts.push_back(ctx);
          }
          std::string name = req.name();
          const int64_t lease = req.lease();
          kernel.post([done = std::move(done), name, lease]() mutable {
            if (name == "fail") {
              done(Status(Error::ElectionNotLeader), {});
              return;
            }
            v3lockpb::LockResponse r;
            r.mutable_header()->set_revision(lease);
            r.set_key(name + "/" + std::to_string(lease));
            done(Status::ok(), std::move(r));
          });
        });
    return d;
  }

  KernelThread& kernel;
  std::mutex mu;
  std::vector<RequestContext> contexts;  // guarded by mu
};

v3electionpb::LeaderResponse leader(int64_t revision, const std::string& value) {
  v3electionpb::LeaderResponse r;
  r.mutable_header()->set_revision(revision);
  r.mutable_kv()->set_key("election/x");
  r.mutable_kv()->set_value(value);
  return r;
}

// v3electionpb.Election with only Observe, served by `streams`.
ServiceDef observeService(FakeStreams& streams) {
  ServiceDef d;
  d.name = "v3electionpb.Election";
  d.stream("Observe", streams.handler());
  return d;
}

}  // namespace

TEST_CASE("A registered unary method is served over gRPC", "[generic][unary]") {
  KernelThread kernel;
  LockPlugin plugin(kernel);
  ServedKv s({}, 500ms, [&](FakeHost& host) { host.registry().add(plugin.def()); });
  auto lock = v3lockpb::Lock::NewStub(s.channel);

  v3lockpb::LockRequest request;
  request.set_name("jobs");
  request.set_lease(42);
  auto context = contextWithDeadline();
  context->AddMetadata("token", "locker");
  v3lockpb::LockResponse response;
  const grpc::Status status = lock->Lock(context.get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.key() == "jobs/42");
  CHECK(response.header().revision() == 42);
  {
    std::lock_guard<std::mutex> guard(plugin.mu);
    REQUIRE(plugin.contexts.size() == 1);
    CHECK(plugin.contexts[0].token == "locker");
  }

  SECTION("its errors reach the client with the catalogue's code and text") {
    request.set_name("fail");
    auto c = contextWithDeadline();
    const grpc::Status failed = lock->Lock(c.get(), request, &response);
    CHECK(failed.error_code() == grpc::StatusCode::UNKNOWN);
    CHECK(failed.error_message() == "election: not leader");
  }
  SECTION("a method the plugin did not register answers UNIMPLEMENTED") {
    auto c = contextWithDeadline();
    v3lockpb::UnlockResponse unlocked;
    const grpc::Status unimplemented = lock->Unlock(c.get(), v3lockpb::UnlockRequest(), &unlocked);
    CHECK(unimplemented.error_code() == grpc::StatusCode::UNIMPLEMENTED);
    CHECK(unimplemented.error_message() ==
          "v3lockpb.Lock.Unlock is not implemented in this Cairn build");
  }
  SECTION("many concurrent calls each get their own answer") {
    constexpr int kCalls = 100;
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    std::vector<v3lockpb::LockRequest> requests(kCalls);
    std::vector<v3lockpb::LockResponse> responses(kCalls);
    std::vector<std::promise<grpc::Status>> finished(kCalls);
    for (int i = 0; i < kCalls; ++i) {
      contexts.push_back(contextWithDeadline());
      requests[i].set_name("k" + std::to_string(i));
      requests[i].set_lease(i);
      lock->async()->Lock(contexts[i].get(), &requests[i], &responses[i],
                          [&finished, i](grpc::Status st) { finished[i].set_value(st); });
    }
    for (int i = 0; i < kCalls; ++i) {
      REQUIRE(finished[i].get_future().get().ok());
      CHECK(responses[i].key() == "k" + std::to_string(i) + "/" + std::to_string(i));
    }
  }
}

TEST_CASE("A registered unary method gets KV's request size limit", "[generic][unary][limits]") {
  KernelThread kernel;
  LockPlugin plugin(kernel);
  ServedKv s({{"max-request-bytes", "1024"}}, 500ms,
             [&](FakeHost& host) { host.registry().add(plugin.def()); });
  auto lock = v3lockpb::Lock::NewStub(s.channel);
  v3lockpb::LockRequest request;
  request.set_name(std::string(1024 + 512 * 1024, 'x'));
  auto context = contextWithDeadline();
  v3lockpb::LockResponse response;
  const grpc::Status status = lock->Lock(context.get(), request, &response);
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(status.error_message() == "grpc: received message larger than max (" +
                                      std::to_string(request.ByteSizeLong()) + " vs. " +
                                      std::to_string(1024 + 512 * 1024) + ")");
  std::lock_guard<std::mutex> guard(plugin.mu);
  CHECK(plugin.contexts.empty());
}

TEST_CASE("A handler answering the wrong message type fails the call", "[generic][unary]") {
  ServiceDef d;
  d.name = "v3lockpb.Lock";
  d.unary["Lock"] = [](const RequestContext&, const google::protobuf::Message&,
                       cairn::MessageDone done) {
    done(Status::ok(), std::make_unique<v3lockpb::UnlockResponse>());
  };
  ServedKv s({}, 500ms, [&](FakeHost& host) { host.registry().add(d); });
  auto lock = v3lockpb::Lock::NewStub(s.channel);
  auto context = contextWithDeadline();
  v3lockpb::LockResponse response;
  const grpc::Status status = lock->Lock(context.get(), v3lockpb::LockRequest(), &response);
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() ==
        "cairn: v3lockpb.Lock.Lock answered a v3lockpb.UnlockResponse, not a "
        "v3lockpb.LockResponse");
}

TEST_CASE("A registered server stream sends every value in order", "[generic][stream]") {
  FakeStreams streams;
  ServedKv s({}, 500ms, [&](FakeHost& host) { host.registry().add(observeService(streams)); });
  auto election = v3electionpb::Election::NewStub(s.channel);

  v3electionpb::LeaderRequest request;
  request.set_name("x");
  auto context = contextWithDeadline();
  context->AddMetadata("token", "observer");
  auto reader = election->Observe(context.get(), request);
  std::shared_ptr<FakeStreamCall> call = streams.waitForCall(0, 10s);
  REQUIRE(call);
  REQUIRE(call->waitForMessages(1, 10s));
  CHECK(call->message<v3electionpb::LeaderRequest>(0).name() == "x");
  CHECK(call->waitClientDone(10s));  // one request, then the client is done
  CHECK(call->context().token == "observer");

  constexpr int kValues = 2000;
  std::thread producer([&] {
    for (int i = 1; i <= kValues; ++i) {
      call->push(std::make_unique<v3electionpb::LeaderResponse>(leader(i, std::to_string(i))));
    }
    call->finish(Status::ok());
  });
  v3electionpb::LeaderResponse response;
  int got = 0;
  while (reader->Read(&response)) {
    ++got;
    REQUIRE(response.header().revision() == got);
    REQUIRE(response.kv().value() == std::to_string(got));
  }
  producer.join();
  CHECK(got == kValues);
  const grpc::Status status = reader->Finish();
  INFO(status.error_message());
  CHECK(status.ok());
  CHECK(call->waitClosed(10s));  // closed once the call is done
}

TEST_CASE("A server stream ends with the handler's final status", "[generic][stream]") {
  FakeStreams streams;
  ServedKv s({}, 500ms, [&](FakeHost& host) { host.registry().add(observeService(streams)); });
  auto election = v3electionpb::Election::NewStub(s.channel);
  auto context = contextWithDeadline();
  auto reader = election->Observe(context.get(), v3electionpb::LeaderRequest());
  std::shared_ptr<FakeStreamCall> call = streams.waitForCall(0, 10s);
  REQUIRE(call);
  call->push(std::make_unique<v3electionpb::LeaderResponse>(leader(1, "a")));
  call->finish(Status(Error::ElectionNoLeader));
  v3electionpb::LeaderResponse response;
  REQUIRE(reader->Read(&response));  // what was queued before the end arrives
  CHECK(response.kv().value() == "a");
  CHECK_FALSE(reader->Read(&response));
  const grpc::Status status = reader->Finish();
  CHECK(status.error_code() == grpc::StatusCode::UNKNOWN);
  CHECK(status.error_message() == "election: no leader");
}

TEST_CASE("Cancelling a server stream closes its StreamCall and context", "[generic][stream]") {
  FakeStreams streams;
  ServedKv s({}, 500ms, [&](FakeHost& host) { host.registry().add(observeService(streams)); });
  auto election = v3electionpb::Election::NewStub(s.channel);
  auto context = contextWithDeadline();
  auto reader = election->Observe(context.get(), v3electionpb::LeaderRequest());
  std::shared_ptr<FakeStreamCall> call = streams.waitForCall(0, 10s);
  REQUIRE(call);
  call->push(std::make_unique<v3electionpb::LeaderResponse>(leader(1, "a")));
  v3electionpb::LeaderResponse response;
  REQUIRE(reader->Read(&response));
  CHECK_FALSE(call->closed());

  context->TryCancel();
  CHECK(call->waitClosed(10s));
  CHECK(eventually([&] { return call->context().cancelled(); }));
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  // Values pushed afterwards go nowhere, harmlessly.
  call->push(std::make_unique<v3electionpb::LeaderResponse>(leader(2, "b")));
}

TEST_CASE("stop() with an open registered stream returns within the grace period",
          "[generic][stream][lifecycle]") {
  FakeStreams streams;
  ServedKv s({}, 200ms, [&](FakeHost& host) { host.registry().add(observeService(streams)); });
  auto election = v3electionpb::Election::NewStub(s.channel);
  auto context = contextWithDeadline(30s);
  auto reader = election->Observe(context.get(), v3electionpb::LeaderRequest());
  std::shared_ptr<FakeStreamCall> call = streams.waitForCall(0, 10s);
  REQUIRE(call);
  const auto before = std::chrono::steady_clock::now();
  s.server.stop();
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  CHECK(call->closed());
}

// A bidirectional method of a registered service. etcd's API has no bidi
// method that this plugin does not serve itself, so the generic service is
// served alone here, with a registry naming etcdserverpb.Watch.
TEST_CASE("A registered bidirectional stream reads and writes in order", "[generic][bidi]") {
  FakeStreams streams;
  // Each client message is answered at once with its watch id.
  streams.script([](const google::protobuf::Message& message, FakeStreamCall& call) {
    const auto& request = static_cast<const pb::WatchRequest&>(message);
    auto response = std::make_unique<pb::WatchResponse>();
    response->set_watch_id(request.create_request().watch_id());
    call.push(std::move(response));
  });
  FakeServiceRegistry registry;
  ServiceDef d;
  d.name = "etcdserverpb.Watch";
  d.stream("Watch", streams.handler());
  registry.add(d);
  GenericGrpcService generic(registry, {}, 1 << 20);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&generic);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server);
  auto stub = pb::Watch::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));

  auto context = contextWithDeadline();
  auto stream = stub->Watch(context.get());
  for (int i = 1; i <= 50; ++i) {
    pb::WatchRequest request;
    request.mutable_create_request()->set_watch_id(i);
    REQUIRE(stream->Write(request));
    pb::WatchResponse response;
    REQUIRE(stream->Read(&response));
    CHECK(response.watch_id() == i);
  }
  std::shared_ptr<FakeStreamCall> call = streams.waitForCall(0, 10s);
  REQUIRE(call);
  CHECK(call->messageCount() == 50);
  REQUIRE(stream->WritesDone());
  CHECK(call->waitClientDone(10s));
  CHECK_FALSE(call->closed());  // a half-close ends only the reads
  call->finish(Status::ok());
  pb::WatchResponse response;
  CHECK_FALSE(stream->Read(&response));
  CHECK(stream->Finish().ok());
  CHECK(call->waitClosed(10s));
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}
