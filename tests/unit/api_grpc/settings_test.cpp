// Client URLs as gRPC listen targets, and the server limits derived from
// the member's settings (read with the kernel's typed reads; their parsing
// and defaults are the kernel's, tested in tests/unit/config).
#include <catch2/catch.hpp>
#include <climits>

#include "fake_kernel.h"
#include "listen_url.h"
#include "server_settings.h"

using cairn::StatusCode;
using cairn::Url;
using cairn::api::ListenAddress;
using cairn::api::listenAddressFor;
using cairn::api::ServerSettings;
using cairn::api::serverSettingsFrom;
using cairn::test::FakeSettings;
using cairn::test::Flags;
using namespace std::chrono_literals;

namespace {

ListenAddress addressFor(const std::string& scheme, const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  Url url{scheme, host, port,
          scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port)};
  ListenAddress out;
  const cairn::Status status = listenAddressFor(url, &out);
  INFO(status.message());
  REQUIRE(status.isOk());
  return out;
}

}  // namespace

TEST_CASE("listenAddressFor maps etcd client URLs to gRPC targets", "[settings][urls]") {
  ListenAddress a = addressFor("http", "127.0.0.1", 2379);
  CHECK(a.network == "tcp");
  CHECK(a.address == "127.0.0.1:2379");
  CHECK(a.grpcTarget == "127.0.0.1:2379");
  CHECK(a.url == "http://127.0.0.1:2379");
  CHECK(addressFor("http", "localhost", 22379).grpcTarget == "localhost:22379");

  a = addressFor("http", "::1", 2379);
  CHECK(a.grpcTarget == "[::1]:2379");
  CHECK(a.address == "[::1]:2379");

  a = addressFor("http", "", 2379);
  CHECK(a.grpcTarget == "[::]:2379");
  CHECK(a.address == ":2379");

  a = addressFor("unix", "localhost", 2379);
  CHECK(a.network == "unix");
  CHECK(a.address == "localhost:2379");  // etcd: a relative socket path
  CHECK(a.grpcTarget == "unix:localhost:2379");
}

TEST_CASE("listenAddressFor marks TLS URLs secure", "[settings][urls]") {
  ListenAddress out;
  REQUIRE(listenAddressFor(Url{"https", "127.0.0.1", 2379, "https://127.0.0.1:2379"}, &out).isOk());
  CHECK(out.secure);
  CHECK(out.grpcTarget == "127.0.0.1:2379");
  REQUIRE(listenAddressFor(Url{"unixs", "x", 1, "unixs://x:1"}, &out).isOk());
  CHECK(out.secure);
  CHECK(out.network == "unix");
  REQUIRE(listenAddressFor(Url{"http", "127.0.0.1", 2379, "http://127.0.0.1:2379"}, &out).isOk());
  CHECK_FALSE(out.secure);
}

TEST_CASE("Server settings take etcd's defaults", "[settings]") {
  FakeSettings settings(Flags{});
  ServerSettings out;
  REQUIRE(serverSettingsFrom(settings, out).isOk());
  REQUIRE(out.listen.size() == 1);
  CHECK(out.listen[0].grpcTarget == "localhost:2379");
  CHECK(out.maxReceiveMessageBytes == 1572864 + 512 * 1024);
  CHECK(out.maxSendMessageBytes == INT_MAX);
  CHECK(out.maxConcurrentStreams == INT_MAX);  // MaxUint32, capped
  CHECK(out.keepaliveMinTime == 5s);
  CHECK(out.keepaliveInterval == 2h);
  CHECK(out.keepaliveTimeout == 20s);
}

TEST_CASE("Server settings follow the flags", "[settings]") {
  FakeSettings settings(Flags{{"listen-client-urls", "http://127.0.0.1:2379,unix://localhost:1"},
                              {"max-request-bytes", "10485760"},
                              {"max-concurrent-streams", "100"},
                              {"grpc-keepalive-min-time", "1s"},
                              {"grpc-keepalive-interval", "30s"},
                              {"grpc-keepalive-timeout", "0s"}});
  ServerSettings out;
  REQUIRE(serverSettingsFrom(settings, out).isOk());
  REQUIRE(out.listen.size() == 2);
  CHECK(out.listen[0].grpcTarget == "127.0.0.1:2379");
  CHECK(out.listen[1].grpcTarget == "unix:localhost:1");
  CHECK(out.maxReceiveMessageBytes == 10485760 + 512 * 1024);
  CHECK(out.maxConcurrentStreams == 100);
  CHECK(out.keepaliveMinTime == 1s);
  CHECK(out.keepaliveInterval == 30s);
  CHECK(out.keepaliveTimeout == 0s);
}

TEST_CASE("Server settings cap sizes to gRPC's int range", "[settings]") {
  FakeSettings settings(Flags{{"max-request-bytes", "9223372036854775807"}});
  ServerSettings out;
  REQUIRE(serverSettingsFrom(settings, out).isOk());
  CHECK(out.maxReceiveMessageBytes == INT_MAX);
}

TEST_CASE("Server settings pass the kernel's read errors on", "[settings]") {
  const auto [name, value] = GENERATE(table<std::string, std::string>({
      {"max-request-bytes", "-1"},
      {"max-concurrent-streams", "x"},
      {"grpc-keepalive-min-time", "5"},
      {"listen-client-urls", "ftp://127.0.0.1:2379"},
  }));
  FakeSettings settings(Flags{{name, value}});
  ServerSettings out;
  const cairn::Status status = serverSettingsFrom(settings, out);
  CHECK(status.code() == StatusCode::InvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains(name) && Catch::Contains(value));
}

TEST_CASE("A TLS client URL is read by the settings", "[settings][urls]") {
  FakeSettings settings(Flags{{"listen-client-urls", "https://127.0.0.1:2379"}});
  ServerSettings out;
  REQUIRE(serverSettingsFrom(settings, out).isOk());
  REQUIRE(out.listen.size() == 1);
  CHECK(out.listen[0].secure);
}
