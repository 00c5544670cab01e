// Helpers shared by the api-grpc tests: free ports, and a GrpcServer started
// in-process on the fake kernel with KV, Lease, Watch, Cluster and
// Maintenance stubs connected to it.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "fake_kernel.h"
#include "grpc_server.h"

namespace cairn::api::test {

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  ::close(fd);
  return ntohs(sa.sin_port);
}

inline std::unique_ptr<grpc::ClientContext> contextWithDeadline(
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

inline std::map<std::string, std::string> withDefaultUrl(std::map<std::string, std::string> flags) {
  flags.emplace("listen-client-urls", "http://127.0.0.1:0");
  return flags;
}

// Member order is destruction order in reverse: the client goes first, then
// the server stops, then the host; the kernel thread outlives them all and
// may still complete calls the server has given up on.
// `beforeStart` runs on the host before the server starts (e.g. to register
// plugin services, which the server reads at start).
struct ServedKv {
  explicit ServedKv(std::map<std::string, std::string> flags = {},
                    std::chrono::milliseconds shutdownGrace = std::chrono::milliseconds(500),
                    const std::function<void(FakeHost&)>& beforeStart = {})
      : host(withDefaultUrl(std::move(flags))), server(shutdownGrace) {
    if (beforeStart) beforeStart(host);
    const Status status = server.start(host);
    INFO(status.message());
    REQUIRE(status.isOk());
    REQUIRE(server.boundAddresses().size() >= 1);
    channel = grpc::CreateChannel(server.boundAddresses()[0], grpc::InsecureChannelCredentials());
    kv = etcdserverpb::KV::NewStub(channel);
    lease = etcdserverpb::Lease::NewStub(channel);
    watch = etcdserverpb::Watch::NewStub(channel);
    cluster = etcdserverpb::Cluster::NewStub(channel);
    maintenance = etcdserverpb::Maintenance::NewStub(channel);
  }

  FakeKv& fake() { return host.fakeKv(); }
  FakeLease& fakeLease() { return host.fakeLease(); }
  FakeWatch& fakeWatch() { return host.fakeWatch(); }

  KernelThread kernel;
  FakeHost host;
  GrpcServer server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
};

// Raw bytes to any method through gRPC's generic stub, as a client with
// another (or a broken) encoder would send them.
inline grpc::Status rawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& fullMethod, const std::string& bytes,
                                 std::string* response = nullptr) {
  grpc::GenericStub stub(channel);
  auto context = contextWithDeadline();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer reply;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), fullMethod, grpc::StubOptions(), &request, &reply,
                 [&done](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (response != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)reply.Dump(&slices);
    response->clear();
    for (const auto& s : slices)
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

}  // namespace cairn::api::test
