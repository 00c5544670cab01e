// A request whose bytes are not a valid message gets what etcd's grpc-go
// server sends: INTERNAL, "grpc: error unmarshalling request: <reason>" for
// a unary call and "grpc: failed to unmarshal the received message <reason>"
// for a stream message, with the reason gogoproto's decoder gives (the
// expected texts below were recorded from etcd 3.4.23).
#include <google/protobuf/descriptor.h>

#include <thread>

#include "test_server.h"
#include "unmarshal_error.h"
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

using cairn::ServiceDef;
using cairn::Status;
using cairn::api::describeUnmarshalError;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::FakeHost;
using cairn::api::test::FakeStreams;
using cairn::api::test::rawUnaryCall;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

namespace {

const std::string kUnary = "grpc: error unmarshalling request: ";
const std::string kStream = "grpc: failed to unmarshal the received message ";

void checkInternal(const grpc::Status& status, const std::string& message) {
  INFO(status.error_code() << ": " << status.error_message());
  CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(status.error_message() == message);
}

// Garbage through a raw bidi stream: one message, then read the status.
grpc::Status rawStreamCall(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& fullMethod, const std::string& bytes) {
  grpc::GenericStub stub(channel);
  auto context = contextWithDeadline();
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(context.get(), fullMethod, &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer message(&slice, 1);
  call->Write(message, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// What gRPC C++ itself does with a typed (generated) callback service: the
// behaviour api-grpc replaces by serving every method raw.
class GeneratedPut final : public pb::KV::CallbackService {
 public:
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context, const pb::PutRequest*,
                                pb::PutResponse*) override {
    ++calls;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  std::atomic<int> calls{0};
};

// The same for a typed bidi stream: the reactor records what each read gave.
class GeneratedWatch final : public pb::Watch::CallbackService {
 public:
  grpc::ServerBidiReactor<pb::WatchRequest, pb::WatchResponse>* Watch(
      grpc::CallbackServerContext*) override {
    class Reactor final : public grpc::ServerBidiReactor<pb::WatchRequest, pb::WatchResponse> {
     public:
      explicit Reactor(std::promise<bool>& firstRead) : firstRead_(firstRead) {
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        firstRead_.set_value(ok);
        // What the old WatchReactor did with !ok: a half-close; here the
        // stream is ended so the test can read the status.
        Finish(grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      std::promise<bool>& firstRead_;
      pb::WatchRequest request_;
    };
    return new Reactor(firstRead);
  }
  std::promise<bool> firstRead;
};

}  // namespace

TEST_CASE("gRPC C++'s generated bidi handlers see a garbage message as the end of the reads",
          "[unparsable][baseline]") {
  GeneratedWatch service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  const grpc::Status status = rawStreamCall(channel, "/etcdserverpb.Watch/Watch", "\xff");
  // The reactor cannot tell garbage from a half-close, so the client got no
  // error from it.
  CHECK_FALSE(service.firstRead.get_future().get());
  CHECK(status.ok());
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}

TEST_CASE("gRPC C++'s generated handlers answer garbage UNIMPLEMENTED, without a message",
          "[unparsable][baseline]") {
  GeneratedPut service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  const grpc::Status status = rawUnaryCall(channel, "/etcdserverpb.KV/Put", "\xff");
  CHECK(status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(status.error_message().empty());
  CHECK(service.calls == 0);
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}

TEST_CASE("Unparsable KV requests answer grpc-go's INTERNAL", "[unparsable][kv]") {
  ServedKv s;
  const auto [bytes, reason] = GENERATE(table<std::string, std::string>({
      {"\xff", "unexpected EOF"},
      {std::string("\x0a\x05"
                   "ab"),
       "unexpected EOF"},
      {std::string("\x00", 1), "proto: PutRequest: illegal tag 0 (wire type 0)"},
      {"\x08", "proto: wrong wireType = 0 for field Key"},
      {"\x0b", "proto: wrong wireType = 3 for field Key"},
      {"\x0f\x01", "proto: wrong wireType = 7 for field Key"},
      {"\x12\x80", "unexpected EOF"},
      {"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "proto: integer overflow"},
      {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "proto: integer overflow"},
  }));
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.KV/Put", bytes), kUnary + reason);
  CHECK(s.fake().putMethod.requests().empty());
}

TEST_CASE("Every typed unary method answers unparsable requests alike", "[unparsable]") {
  ServedKv s;
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.KV/Range", std::string("\x00", 1)),
                kUnary + "proto: RangeRequest: illegal tag 0 (wire type 0)");
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.KV/Txn", "\xff"), kUnary + "unexpected EOF");
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.Lease/LeaseGrant", "\x08"),
                kUnary + "unexpected EOF");
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.Cluster/MemberList", "\x0f\x01"),
                kUnary + "proto: illegal wireType 7");
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.Cluster/MemberList", "\x0b"),
                kUnary + "unexpected EOF");
  checkInternal(rawUnaryCall(s.channel, "/etcdserverpb.Maintenance/Status", std::string("\x00", 1)),
                kUnary + "proto: StatusRequest: illegal tag 0 (wire type 0)");
  CHECK(s.fake().rangeMethod.requests().empty());
  CHECK(s.host.fakeCluster().memberListMethod.requests().empty());
}

TEST_CASE("Unparsable stream messages end Watch and LeaseKeepAlive with grpc-go's INTERNAL",
          "[unparsable][stream]") {
  ServedKv s;
  checkInternal(rawStreamCall(s.channel, "/etcdserverpb.Watch/Watch", "\xff"),
                kStream + "unexpected EOF");
  checkInternal(rawStreamCall(s.channel, "/etcdserverpb.Lease/LeaseKeepAlive", "\xff"),
                kStream + "unexpected EOF");
  checkInternal(rawStreamCall(s.channel, "/etcdserverpb.Maintenance/Snapshot", "\xff"),
                kStream + "unexpected EOF");
  CHECK(s.fakeLease().keepAliveMethod.requests().empty());
}

TEST_CASE("Registered services answer unparsable requests alike", "[unparsable][generic]") {
  FakeStreams observe;
  int lockCalls = 0;
  ServedKv s({}, 500ms, [&](FakeHost& host) {
    ServiceDef lock;
    lock.name = "v3lockpb.Lock";
    lock.method<v3lockpb::LockRequest, v3lockpb::LockResponse>(
        "Lock", [&lockCalls](const cairn::RequestContext&, const v3lockpb::LockRequest&,
                             cairn::Done<v3lockpb::LockResponse> done) {
          ++lockCalls;
          done(Status::ok(), {});
        });
    host.registry().add(lock);
    ServiceDef election;
    election.name = "v3electionpb.Election";
    election.stream("Observe", observe.handler());
    host.registry().add(election);
  });
  checkInternal(rawUnaryCall(s.channel, "/v3lockpb.Lock/Lock", std::string("\x00", 1)),
                kUnary + "proto: LockRequest: illegal tag 0 (wire type 0)");
  checkInternal(rawUnaryCall(s.channel, "/v3lockpb.Lock/Lock", "\x10\x80"),
                kUnary + "unexpected EOF");
  CHECK(lockCalls == 0);
  checkInternal(rawStreamCall(s.channel, "/v3electionpb.Election/Observe", "\x0a"),
                kStream + "unexpected EOF");
  // A valid request still works.
  std::string reply;
  CHECK(rawUnaryCall(s.channel, "/v3lockpb.Lock/Lock", "", &reply).ok());
  CHECK(lockCalls == 1);
}

TEST_CASE("describeUnmarshalError follows gogoproto's decoder", "[unparsable][decoder]") {
  const auto& put = *pb::PutRequest::descriptor();
  CHECK(describeUnmarshalError(put, std::string("\x02", 1)) ==
        "proto: PutRequest: illegal tag 0 (wire type 2)");
  CHECK(describeUnmarshalError(put, "\x0c") ==
        "proto: PutRequest: wiretype end group for non-group");
  CHECK(describeUnmarshalError(put, "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x80\x01") ==
        "proto: negative length found during unmarshaling");
  // A field Put does not know is skipped the way gogo skips it.
  CHECK(describeUnmarshalError(put, "\xf8\x01") == "unexpected EOF");
  CHECK(describeUnmarshalError(put, "\xfd\x01\x01\x02") == "unexpected EOF");  // fixed32
  // Errors of nested messages name the nested type.
  const auto& txn = *pb::TxnRequest::descriptor();
  CHECK(describeUnmarshalError(txn, std::string("\x0a\x01\x00", 3)) ==
        "proto: Compare: illegal tag 0 (wire type 0)");
  CHECK(describeUnmarshalError(txn, "\x0a\x02\x20\x05\x0a") == "unexpected EOF");
  // Field names are Go's: range_end is RangeEnd.
  CHECK(describeUnmarshalError(*pb::RangeRequest::descriptor(), "\x10") ==
        "proto: wrong wireType = 0 for field RangeEnd");
  // Nested type names join with '_' as Go's do.
  CHECK(describeUnmarshalError(*pb::AlarmRequest::descriptor(), "\x08") == "unexpected EOF");
  // Bytes C++ refuses for a reason the walk does not see get a generic text.
  CHECK(describeUnmarshalError(put, "") == "proto: cannot parse invalid wire-format data");
}
