// The kernel's registry of what plugins declare: the checks a plugin author
// meets first (unknown services, wrong method shapes, owned buckets, late
// declarations).
#include "plugin_registry.h"

#include <catch2/catch.hpp>

#include "etcdserverpb/rpc.pb.h"
#include "v3lockpb/v3lock.pb.h"

using cairn::ApplyContext;
using cairn::ServiceDef;
using cairn::Status;
using cairn::StatusCode;
using cairn::plugin::PluginRegistry;

namespace {

class NoSettings final : public cairn::Settings {
 public:
  std::optional<std::string> raw(std::string_view) const override { return std::nullopt; }
  Status boolean(std::string_view, bool*) const override { return notFound(); }
  Status uint64(std::string_view, uint64_t*) const override { return notFound(); }
  Status int64(std::string_view, int64_t*) const override { return notFound(); }
  Status duration(std::string_view, std::chrono::nanoseconds*) const override { return notFound(); }
  Status parseDuration(std::string_view, std::chrono::nanoseconds*) const override {
    return notFound();
  }
  Status urls(std::string_view, std::vector<cairn::Url>*) const override { return notFound(); }
  Status list(std::string_view, std::vector<std::string>*) const override { return notFound(); }

 private:
  static Status notFound() { return Status(StatusCode::NotFound, "no flags in this test"); }
};

class NullLogger final : public cairn::Logger {
 public:
  void log(cairn::LogLevel, std::string_view, std::string_view, std::string_view) override {}
};

struct Fixture {
  NoSettings settings;
  NullLogger logger;
  PluginRegistry registry{settings, logger};
};

ServiceDef lockService() {
  ServiceDef def;
  def.name = "v3lockpb.Lock";
  def.method<v3lockpb::LockRequest, v3lockpb::LockResponse>(
      "Lock", [](const cairn::RequestContext&, const v3lockpb::LockRequest&,
                 cairn::Done<v3lockpb::LockResponse> done) { done(Status::ok(), {}); });
  return def;
}

}  // namespace

TEST_CASE("a registered service is found by its full proto name") {
  Fixture f;
  REQUIRE(f.registry.registrarFor("locks").service(lockService()).isOk());
  f.registry.seal();
  const ServiceDef* def = f.registry.find("v3lockpb.Lock");
  REQUIRE(def != nullptr);
  CHECK(def->unary.count("Lock") == 1);
  CHECK(f.registry.find("v3lockpb.Nope") == nullptr);
  CHECK(f.registry.all().size() == 1);
}

TEST_CASE("services must exist in the proto library with methods of the right shape") {
  Fixture f;
  cairn::Registrar& r = f.registry.registrarFor("p");
  ServiceDef unknown;
  unknown.name = "nope.Service";
  CHECK(r.service(unknown).code() == StatusCode::InvalidArgument);

  ServiceDef noMethod = lockService();
  noMethod.unary["Missing"] = noMethod.unary["Lock"];
  CHECK_THAT(r.service(noMethod).message(), Catch::Contains("has no method Missing"));

  ServiceDef streamAsUnary;
  streamAsUnary.name = "v3electionpb.Election";
  streamAsUnary.unary["Observe"] = lockService().unary["Lock"];
  CHECK_THAT(r.service(streamAsUnary).message(), Catch::Contains("is a streaming method"));

  REQUIRE(r.service(lockService()).isOk());
  CHECK(f.registry.registrarFor("other").service(lockService()).code() ==
        StatusCode::AlreadyExists);
}

TEST_CASE("buckets belong to one plugin and never to the kernel") {
  Fixture f;
  CHECK(f.registry.registrarFor("a").bucket("key").code() == StatusCode::AlreadyExists);
  // etcd's cluster-version bucket, written by etcd-format snapshots.
  CHECK(f.registry.registrarFor("a").bucket("cluster").code() == StatusCode::AlreadyExists);
  REQUIRE(f.registry.registrarFor("a").bucket("a-state").isOk());
  CHECK(f.registry.registrarFor("a").bucket("a-state").isOk());  // again: same owner
  CHECK(f.registry.registrarFor("b").bucket("a-state").code() == StatusCode::AlreadyExists);
  REQUIRE(f.registry.bucketOwner("a-state") != nullptr);
  CHECK(*f.registry.bucketOwner("a-state") == "a");
}

TEST_CASE("a command type has one handler") {
  Fixture f;
  auto handler = [](ApplyContext&, const v3lockpb::LockRequest&, v3lockpb::LockResponse*) {
    return Status::ok();
  };
  REQUIRE(
      (f.registry.registrarFor("a").command<v3lockpb::LockRequest, v3lockpb::LockResponse>(handler))
          .isOk());
  CHECK(
      (f.registry.registrarFor("b").command<v3lockpb::LockRequest, v3lockpb::LockResponse>(handler))
          .code() == StatusCode::AlreadyExists);
  const auto* command = f.registry.command("v3lockpb.LockRequest");
  REQUIRE(command != nullptr);
  CHECK(command->plugin == "a");
}

TEST_CASE("nothing can be declared after the declare phase") {
  Fixture f;
  cairn::Registrar& r = f.registry.registrarFor("late");
  f.registry.seal();
  CHECK(r.bucket("late-state").code() == StatusCode::FailedPrecondition);
  CHECK(r.service(lockService()).code() == StatusCode::FailedPrecondition);
  CHECK(r.onRecover([](cairn::storage::ReadTxn&) { return Status::ok(); }).code() ==
        StatusCode::FailedPrecondition);
  CHECK(f.registry.find("v3lockpb.Lock") == nullptr);
}

TEST_CASE("one plugin serves a protocol and one owns the client listeners") {
  Fixture f;
  cairn::Registrar& grpc = f.registry.registrarFor("api-grpc");
  cairn::Registrar& http = f.registry.registrarFor("api-http");
  cairn::Registrar& other = f.registry.registrarFor("other");
  int handed = -1;
  CHECK(f.registry.connectionHandler("h2") == nullptr);
  CHECK_FALSE(f.registry.listenersClaimed());
  REQUIRE(grpc.connectionHandler("h2", [&handed](int fd) { handed = fd; }).isOk());
  CHECK(other.connectionHandler("h2", [](int) {}).code() == StatusCode::AlreadyExists);
  CHECK(other.connectionHandler("", [](int) {}).code() == StatusCode::InvalidArgument);
  CHECK(other.connectionHandler("h3", nullptr).code() == StatusCode::InvalidArgument);
  REQUIRE(http.claimClientListeners().isOk());
  CHECK(http.claimClientListeners().isOk());  // idempotent for the owner
  Status taken = other.claimClientListeners();
  CHECK(taken.code() == StatusCode::AlreadyExists);
  CHECK(taken.message() == "plugin other: the client listeners are claimed by plugin api-http");
  f.registry.seal();
  CHECK(other.connectionHandler("h3", [](int) {}).code() == StatusCode::FailedPrecondition);

  const cairn::ConnectionRegistry& connections = f.registry;
  CHECK(connections.listenersClaimed());
  REQUIRE(connections.connectionHandler("h2") != nullptr);
  (*connections.connectionHandler("h2"))(42);
  CHECK(handed == 42);
  CHECK(connections.connectionHandler("http/1.1") == nullptr);
}
