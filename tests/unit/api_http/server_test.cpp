// The listener end to end, in-process: a connection that starts with the
// HTTP/2 preface reaches the "h2" handler with nothing consumed (also when
// the preface arrives in pieces), anything else is served as HTTP/1.1 with
// keep-alive.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "../api_grpc/fake_kernel.h"
#include "http_server.h"
#include "protocol_sniff.h"

using cairn::api::test::FakeHost;
using cairn::apihttp::HttpServer;
using cairn::apihttp::kHttp2Preface;

namespace {

int connectTo(const std::string& hostPort) {
  const int port = std::stoi(hostPort.substr(hostPort.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

void sendAll(int fd, const std::string& data) {
  REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

// Reads until `needle` was seen (or the peer closed).
std::string readUntil(int fd, const std::string& needle) {
  std::string got;
  char buf[4096];
  while (got.find(needle) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

struct Handed {
  std::mutex mu;
  std::condition_variable cv;
  int fd = -1;  // guarded by mu

  int wait() {
    std::unique_lock lk(mu);
    cv.wait_for(lk, std::chrono::seconds(5), [this] { return fd >= 0; });
    return fd;
  }
};

}  // namespace

TEST_CASE("HTTP/2 connections are handed over unread, HTTP/1.1 is served with keep-alive") {
  FakeHost host(cairn::api::test::Flags{{"listen-client-urls", "http://127.0.0.1:0"}});
  Handed handed;
  host.fakeConnections().h2 = [&handed](int fd) {
    std::lock_guard lk(handed.mu);
    handed.fd = fd;
    handed.cv.notify_all();
  };
  HttpServer server;
  const cairn::Status started = server.start(host);
  INFO(started.message());
  REQUIRE(started.isOk());
  const std::string address = server.boundAddresses().at(0);

  SECTION("the preface in one write") {
    const int client = connectTo(address);
    sendAll(client, std::string(kHttp2Preface) + "frames");
    const int fd = handed.wait();
    REQUIRE(fd >= 0);
    CHECK(readUntil(fd, "frames") == std::string(kHttp2Preface) + "frames");
    ::close(fd);
    ::close(client);
  }

  SECTION("the preface in pieces") {
    const int client = connectTo(address);
    sendAll(client, std::string(kHttp2Preface.substr(0, 10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    {
      std::lock_guard lk(handed.mu);
      CHECK(handed.fd == -1);  // undecided yet
    }
    sendAll(client, std::string(kHttp2Preface.substr(10)));
    const int fd = handed.wait();
    REQUIRE(fd >= 0);
    CHECK(readUntil(fd, "SM\r\n\r\n") == kHttp2Preface);
    ::close(fd);
    ::close(client);
  }

  SECTION("HTTP/1.1 requests on one connection") {
    const int client = connectTo(address);
    for (int i = 0; i < 2; ++i) {
      sendAll(client, "GET /version HTTP/1.1\r\nHost: x\r\n\r\n");
      const std::string res = readUntil(client, R"("etcdcluster":"3.4.0"})");
      CHECK_THAT(res, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
      CHECK_THAT(res, Catch::Contains("Access-Control-Allow-Origin: *\r\n"));
    }
    sendAll(client, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string res = readUntil(client, "\x01");  // until the server closes
    CHECK_THAT(res, Catch::StartsWith("HTTP/1.1 404 Not Found\r\n") &&
                        Catch::EndsWith("\r\n\r\n404 page not found\n"));
    ::close(client);
    std::lock_guard lk(handed.mu);
    CHECK(handed.fd == -1);
  }

  SECTION("a malformed request line is 400 and the connection closes") {
    const int client = connectTo(address);
    sendAll(client, "GARBAGE\r\n\r\n");
    const std::string res = readUntil(client, "\x01");
    CHECK_THAT(res, Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    ::close(client);
  }

  server.stop();
}
