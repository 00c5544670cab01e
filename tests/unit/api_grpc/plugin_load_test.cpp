// The built module: loadable with dlopen, exporting the descriptor, and
// serving KV through the kernel's Host once started.
#include <dlfcn.h>

#include "cairn/plugin.h"
#include "test_server.h"

using cairn::api::test::contextWithDeadline;
using cairn::api::test::FakeHost;
using cairn::api::test::freePort;
using cairn::api::test::KernelThread;
using cairn::api::test::replyOn;
namespace pb = etcdserverpb;

namespace {

const cairn::PluginDescriptor* loadDescriptor() {
  const std::string path = std::string(CAIRN_PLUGIN_DIR) + "/api-grpc.so";
  // Never dlclose'd: as in the kernel, a plugin stays mapped for the process.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  INFO(path << ": " << (handle ? "" : ::dlerror()));
  REQUIRE(handle != nullptr);
  using Entry = const cairn::PluginDescriptor* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(handle, cairn::kPluginEntrySymbol));
  REQUIRE(entry != nullptr);
  return entry();
}

}  // namespace

TEST_CASE("The api-grpc module exports its descriptor", "[plugin]") {
  const cairn::PluginDescriptor* descriptor = loadDescriptor();
  REQUIRE(descriptor != nullptr);
  CHECK(descriptor->abiVersion == cairn::kPluginAbiVersion);
  CHECK(std::string(descriptor->name) == "api-grpc");
  CHECK(descriptor->kind == cairn::PluginKind::Api);
  CHECK(descriptor->create != nullptr);
  CHECK(descriptor->destroy != nullptr);
}

TEST_CASE("The loaded plugin serves KV and stops", "[plugin]") {
  const cairn::PluginDescriptor* descriptor = loadDescriptor();
  const int port = freePort();
  KernelThread kernel;
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:" + std::to_string(port)}});
  pb::PutResponse scripted;
  scripted.mutable_header()->set_revision(12);
  host.fakeKv().putMethod.script(replyOn<pb::PutRequest>(kernel, scripted));

  // Api plugins are ServicePlugins by the ABI's contract (see plugin.h).
  cairn::Plugin* plugin = descriptor->create();
  auto* service = static_cast<cairn::ServicePlugin*>(plugin);
  const cairn::Status status = service->start(host);
  INFO(status.message());
  REQUIRE(status.isOk());

  auto stub = pb::KV::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  pb::PutRequest request;
  request.set_key("from-etcdctl");
  pb::PutResponse response;
  auto context = contextWithDeadline();
  REQUIRE(stub->Put(context.get(), request, &response).ok());
  CHECK(response.header().revision() == 12);
  CHECK(host.fakeKv().putMethod.requests().at(0).key() == "from-etcdctl");

  service->stop();
  descriptor->destroy(plugin);
}
