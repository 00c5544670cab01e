// Every method neither the plugin nor a registered service serves answers
// UNIMPLEMENTED with a message naming the method, whether the method is
// unary or streaming. (The Cluster and Maintenance services are served by
// the kernel: maintenance_cluster_test.cpp, etcdctl_test.cpp.)
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>

#include <future>

#include "generic_grpc_service.h"
#include "test_server.h"
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

using cairn::api::GenericGrpcService;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;

namespace {

void checkUnimplemented(const grpc::Status& status, const std::string& method) {
  INFO(method << ": " << status.error_message());
  CHECK(status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(status.error_message() == method + " is not implemented in this Cairn build");
}

// One call through the generic stub: an empty message to any method name.
grpc::Status genericCall(grpc::Channel& channel, const std::string& fullMethod) {
  grpc::GenericStub stub(channel.shared_from_this());
  auto context = contextWithDeadline();
  // An empty message, which every request type parses; a default ByteBuffer
  // holds no message at all and cannot be sent.
  grpc::Slice empty(std::string{});
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), fullMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

}  // namespace

TEST_CASE("Unary methods of unserved services answer UNIMPLEMENTED", "[unimplemented]") {
  ServedKv s;
  {
    auto auth = pb::Auth::NewStub(s.channel);
    auto c = contextWithDeadline();
    pb::AuthenticateResponse r;
    checkUnimplemented(auth->Authenticate(c.get(), pb::AuthenticateRequest(), &r),
                       "etcdserverpb.Auth.Authenticate");
  }
  {
    auto lock = v3lockpb::Lock::NewStub(s.channel);
    auto c = contextWithDeadline();
    v3lockpb::LockResponse r;
    checkUnimplemented(lock->Lock(c.get(), v3lockpb::LockRequest(), &r), "v3lockpb.Lock.Lock");
  }
  {
    auto election = v3electionpb::Election::NewStub(s.channel);
    auto c = contextWithDeadline();
    v3electionpb::CampaignResponse r;
    checkUnimplemented(election->Campaign(c.get(), v3electionpb::CampaignRequest(), &r),
                       "v3electionpb.Election.Campaign");
  }
  // None of it reached the kernel.
  CHECK(s.fake().rangeMethod.requests().empty());
  CHECK(s.fakeLease().grantMethod.requests().empty());
}

TEST_CASE("Streaming methods of unserved services answer UNIMPLEMENTED", "[unimplemented]") {
  ServedKv s;
  SECTION("Observe (server streaming)") {
    auto election = v3electionpb::Election::NewStub(s.channel);
    auto c = contextWithDeadline();
    auto stream = election->Observe(c.get(), v3electionpb::LeaderRequest());
    v3electionpb::LeaderResponse r;
    CHECK_FALSE(stream->Read(&r));
    checkUnimplemented(stream->Finish(), "v3electionpb.Election.Observe");
  }
}

TEST_CASE("Every method of every unserved etcd service answers UNIMPLEMENTED", "[unimplemented]") {
  ServedKv s;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const char* serviceName : {"etcdserverpb.Auth", "v3lockpb.Lock", "v3electionpb.Election"}) {
    const auto* service = pool->FindServiceByName(serviceName);
    REQUIRE(service != nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string name = service->method(i)->name();
      checkUnimplemented(genericCall(*s.channel, "/" + std::string(serviceName) + "/" + name),
                         std::string(serviceName) + "." + name);
      ++methods;
    }
  }
  // etcd 3.4: Auth 16, Lock 2, Election 5 (the Cluster service is served).
  CHECK(methods == 16 + 2 + 5);
}

TEST_CASE("Names outside etcd's API get grpc-go's unknown-service wording", "[unimplemented]") {
  ServedKv s;
  const grpc::Status unknownService = genericCall(*s.channel, "/foo.Bar/Baz");
  CHECK(unknownService.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(unknownService.error_message() == "unknown service foo.Bar");

  const grpc::Status unknownMethod = genericCall(*s.channel, "/etcdserverpb.KV/Nope");
  CHECK(unknownMethod.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(unknownMethod.error_message() == "unknown method Nope for service etcdserverpb.KV");
}

TEST_CASE("GenericGrpcService::unimplementedMessage", "[unimplemented]") {
  CHECK(GenericGrpcService::unimplementedMessage("/etcdserverpb.Maintenance/Defragment") ==
        "etcdserverpb.Maintenance.Defragment is not implemented in this Cairn build");
  CHECK(GenericGrpcService::unimplementedMessage("/grpc.health.v1.Health/Check") ==
        "unknown service grpc.health.v1.Health");
  CHECK(GenericGrpcService::unimplementedMessage("nonsense") ==
        "malformed method name: \"nonsense\"");
}
