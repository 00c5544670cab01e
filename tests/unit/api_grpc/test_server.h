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
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "fake_kernel.h"
#include "grpc_server.h"

namespace cairn::api::test {

// A TCP socket bound to 127.0.0.1 on a free port, listening with `backlog`
// unless it is 0; the port in *port.
inline int loopbackSocket(int backlog, int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  if (backlog > 0) REQUIRE(::listen(fd, backlog) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int freePort() {
  int port = 0;
  ::close(loopbackSocket(0, &port));
  return port;
}

inline std::unique_ptr<grpc::ClientContext> contextWithDeadline(
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

// CAIRN_TEST_GRPC_TRANSPORT=cairn (CTest's second run of these tests): the
// server gets its connections handed over, as api-http hands them, and so
// serves them with api-grpc's own HTTP/2 transport instead of gRPC C++.
inline bool handOverMode() {
  const char* transport = std::getenv("CAIRN_TEST_GRPC_TRANSPORT");
  return transport != nullptr && std::string_view(transport) == "cairn";
}

// Accepts on 127.0.0.1 and hands every connection to GrpcServer::adopt, as
// api-http's listeners do. Stopped (and joined) by its destructor.
class HandOverListener {
 public:
  explicit HandOverListener(GrpcServer& server)
      : server_(server), fd_(loopbackSocket(128, &port_)) {
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          server_.adopt(c);
        } else if (errno != EINTR && errno != ECONNABORTED) {
          return;  // shut down
        }
      }
    });
  }
  ~HandOverListener() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  HandOverListener(const HandOverListener&) = delete;
  HandOverListener& operator=(const HandOverListener&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  GrpcServer& server_;
  int port_ = 0;  // written by loopbackSocket before fd_ is initialised
  int fd_ = -1;
  std::thread thread_;
};

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
  // `handOver`: connections come from a HandOverListener (the own
  // transport) rather than from the server's own listener (gRPC C++).
  explicit ServedKv(std::map<std::string, std::string> flags = {},
                    std::chrono::milliseconds shutdownGrace = std::chrono::milliseconds(500),
                    const std::function<void(FakeHost&)>& beforeStart = {},
                    bool handOver = handOverMode())
      : host(withDefaultUrl(std::move(flags))), server(shutdownGrace) {
    if (beforeStart) beforeStart(host);
    if (handOver) host.fakeConnections().claimed = true;
    const Status status = server.start(host);
    INFO(status.message());
    REQUIRE(status.isOk());
    if (handOver) {
      listener = std::make_unique<HandOverListener>(server);
      address = listener->address();
    } else {
      REQUIRE(server.boundAddresses().size() >= 1);
      address = server.boundAddresses()[0];
    }
    channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
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
  // Hand-over mode only: the listener that feeds `server`.
  std::unique_ptr<HandOverListener> listener;
  std::string address;  // where the server is reached
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
