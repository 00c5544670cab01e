// test-counter as the kernel runs it: loaded by the plugin loader, declared
// into the kernel's PluginRegistry, its commands applied in order against a
// storage-memory backend in one write batch per entry (a stand-in for the
// raft/apply path), and its service served by api-grpc from the registry.
#include <catch2/catch.hpp>
#include <thread>

#include "cairn/test_counter.grpc.pb.h"
#include "plugin_loader.h"
#include "plugin_registry.h"
#include "test_server.h"

using cairn::ApplyContext;
using cairn::AuthInfo;
using cairn::Status;
using cairn::plugin::LoadedPlugin;
using cairn::plugin::PluginLoader;
using cairn::plugin::PluginRegistry;
using cairn::test::AddRequest;
using cairn::test::AddResponse;
using cairn::test::Counter;
using cairn::test::GetRequest;
using cairn::test::GetResponse;
using namespace cairn::api::test;
using namespace std::chrono_literals;

namespace {

// One member's worth of kernel for one plugin instance: the registry it
// declared into, and a proposal path applying each command on one thread,
// in order, committing its batch with the backend.
class MiniKernel {
 public:
  MiniKernel(const PluginLoader& loader, cairn::storage::Backend& backend)
      : backend_(backend), registry_(settings_, logger_), host_(withDefaultUrl(Flags{})) {
    REQUIRE(loader.load("test-counter", &plugin_).isOk());
    REQUIRE(cairn::plugin::requireServicePlugin(plugin_).isOk());
    const Status declared = plugin_.asService().declare(registry_.registrarFor("test-counter"));
    INFO(declared.message());
    REQUIRE(declared.isOk());
    registry_.seal();
    // Recovery: the hooks see the backend as it is.
    for (const auto& hook : registry_.recoverHooks()) {
      auto read = backend_.beginRead();
      REQUIRE(hook(*read).isOk());
    }
    host_.setServices(&registry_);
    host_.setRead([this] { return backend_.beginRead(); });
    host_.setPropose([this](const cairn::RequestContext&, const google::protobuf::Message& command,
                            cairn::MessageDone done) {
      std::shared_ptr<google::protobuf::Message> copy(command.New());
      copy->CopyFrom(command);
      applyLoop_.post([this, copy, done = std::move(done)] { apply(*copy, done); });
    });
  }
  ~MiniKernel() {
    if (started_) plugin_.asService().stop();
  }

  void start() {
    REQUIRE(plugin_.asService().start(host_).isOk());
    started_ = true;
  }

  PluginRegistry& registry() { return registry_; }
  FakeHost& host() { return host_; }

 private:
  void apply(const google::protobuf::Message& command, const cairn::MessageDone& done) {
    const PluginRegistry::Command* handler = registry_.command(command.GetDescriptor());
    if (handler == nullptr) {
      done(Status(cairn::StatusCode::Internal, "no handler"), nullptr);
      return;
    }
    cairn::storage::WriteBatch batch;
    auto read = backend_.beginRead();
    AuthInfo caller;
    ApplyContext ctx{++index_, &caller, read.get(), &batch};
    std::unique_ptr<google::protobuf::Message> response;
    Status st = handler->handler(ctx, command, &response);
    for (const auto& op : batch.ops()) {
      // Plugins write only their declared buckets.
      const std::string* owner = registry_.bucketOwner(op.bucket);
      REQUIRE(owner != nullptr);
      CHECK(*owner == "test-counter");
    }
    REQUIRE(backend_.commit(batch).isOk());
    done(st, st ? std::move(response) : nullptr);
  }

  cairn::storage::Backend& backend_;
  FakeSettings settings_{Flags{}};
  CapturingLogger logger_;
  LoadedPlugin plugin_;  // after the registry's inputs, before what uses it
  PluginRegistry registry_;
  FakeHost host_;
  uint64_t index_ = 0;
  bool started_ = false;
  KernelThread applyLoop_;  // last: stops (and drains) first
};

struct Served {
  explicit Served(MiniKernel& kernel) : server(std::chrono::milliseconds(300)) {
    const Status st = server.start(kernel.host());
    INFO(st.message());
    REQUIRE(st.isOk());
    stub = Counter::NewStub(
        grpc::CreateChannel(server.boundAddresses()[0], grpc::InsecureChannelCredentials()));
  }
  cairn::api::GrpcServer server;
  std::unique_ptr<Counter::Stub> stub;
};

AddResponse add(Counter::Stub& stub, const std::string& name, int64_t delta) {
  AddRequest request;
  request.set_name(name);
  request.set_delta(delta);
  AddResponse response;
  auto context = contextWithDeadline();
  const grpc::Status st = stub.Add(context.get(), request, &response);
  INFO(st.error_message());
  REQUIRE(st.ok());
  return response;
}

int64_t get(Counter::Stub& stub, const std::string& name) {
  GetRequest request;
  request.set_name(name);
  GetResponse response;
  auto context = contextWithDeadline();
  REQUIRE(stub.Get(context.get(), request, &response).ok());
  return response.value();
}

std::unique_ptr<cairn::storage::Backend> memoryBackend(LoadedPlugin& storage) {
  REQUIRE(PluginLoader(CAIRN_PLUGIN_DIR).load("storage-memory", &storage).isOk());
  REQUIRE(cairn::plugin::requireKind(storage, cairn::PluginKind::Storage).isOk());
  auto backend = storage.asStorage().createBackend();
  REQUIRE(backend->open(cairn::storage::Options{}).isOk());
  return backend;
}

}  // namespace

TEST_CASE("test-counter declares its bucket, command, recover hook and service", "[counter]") {
  LoadedPlugin storage;
  auto backend = memoryBackend(storage);
  MiniKernel kernel(PluginLoader(CAIRN_PLUGIN_DIR), *backend);
  CHECK(kernel.registry().bucketOwner("test-counter") != nullptr);
  CHECK(kernel.registry().command("cairn.test.AddRequest") != nullptr);
  CHECK(kernel.registry().recoverHooks().size() == 1);
  const cairn::ServiceDef* service = kernel.registry().find("cairn.test.Counter");
  REQUIRE(service != nullptr);
  CHECK(service->unary.count("Add") == 1);
  CHECK(service->unary.count("Get") == 1);
  CHECK(service->streams.count("Watch") == 1);
}

TEST_CASE("Counter.Add goes through the proposal path and adds up", "[counter]") {
  LoadedPlugin storage;
  auto backend = memoryBackend(storage);
  {
    MiniKernel kernel(PluginLoader(CAIRN_PLUGIN_DIR), *backend);
    kernel.start();
    Served s(kernel);
    const AddResponse first = add(*s.stub, "a", 5);
    CHECK(first.value() == 5);
    CHECK(first.raft_index() == 1);
    CHECK(first.cluster_id() == kernel.host().cluster().clusterId());
    CHECK(add(*s.stub, "a", 7).value() == 12);
    CHECK(add(*s.stub, "a", -2).value() == 10);
    CHECK(add(*s.stub, "b", 1).value() == 1);
    CHECK(get(*s.stub, "a") == 10);
    CHECK(get(*s.stub, "nothing") == 0);

    AddRequest overflow;
    overflow.set_name("a");
    overflow.set_delta(INT64_MAX);
    AddResponse response;
    auto context = contextWithDeadline();
    const grpc::Status st = s.stub->Add(context.get(), overflow, &response);
    CHECK(st.error_code() == grpc::StatusCode::OUT_OF_RANGE);
    CHECK(get(*s.stub, "a") == 10);  // nothing written
  }
  // A new instance on the same backend (a restart): the recover hook loads
  // the bucket, and adds continue from there.
  MiniKernel restarted(PluginLoader(CAIRN_PLUGIN_DIR), *backend);
  restarted.start();
  Served s(restarted);
  CHECK(get(*s.stub, "a") == 10);
  CHECK(get(*s.stub, "b") == 1);
  CHECK(add(*s.stub, "a", 1).value() == 11);
}

TEST_CASE("Counter.Watch sends the current value, then every change", "[counter]") {
  LoadedPlugin storage;
  auto backend = memoryBackend(storage);
  MiniKernel kernel(PluginLoader(CAIRN_PLUGIN_DIR), *backend);
  kernel.start();
  Served s(kernel);
  add(*s.stub, "w", 10);

  GetRequest request;
  request.set_name("w");
  auto context = contextWithDeadline();
  auto reader = s.stub->Watch(context.get(), request);
  GetResponse value;
  REQUIRE(reader->Read(&value));
  CHECK(value.value() == 10);
  for (int64_t delta : {1, 2, 3}) add(*s.stub, "w", delta);
  add(*s.stub, "other", 5);
  add(*s.stub, "w", -16);
  std::vector<int64_t> seen;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(reader->Read(&value));
    seen.push_back(value.value());
  }
  CHECK(seen == std::vector<int64_t>{11, 13, 16, 0});
  context->TryCancel();
  while (reader->Read(&value)) {
  }
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  // Changes after the cancel reach nobody, harmlessly.
  CHECK(add(*s.stub, "w", 1).value() == 1);
}
