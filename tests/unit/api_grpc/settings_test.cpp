// Flag parsing: client URLs, Go durations, and the derived server limits.
#include <catch2/catch.hpp>
#include <climits>

#include "fake_kernel.h"
#include "go_duration.h"
#include "listen_url.h"
#include "server_settings.h"

using cairn::StatusCode;
using cairn::api::ListenAddress;
using cairn::api::parseGoDuration;
using cairn::api::parseListenUrls;
using cairn::api::ServerSettings;
using cairn::api::serverSettingsFromHost;
using cairn::api::test::FakeHost;
using cairn::api::test::Flags;
using namespace std::chrono_literals;

TEST_CASE("parseListenUrls maps etcd client URLs to gRPC targets", "[settings][urls]") {
  std::vector<ListenAddress> out;
  REQUIRE(parseListenUrls("http://127.0.0.1:2379,http://localhost:22379", out).isOk());
  REQUIRE(out.size() == 2);
  CHECK(out[0].network == "tcp");
  CHECK(out[0].address == "127.0.0.1:2379");
  CHECK(out[0].grpcTarget == "127.0.0.1:2379");
  CHECK(out[1].grpcTarget == "localhost:22379");

  REQUIRE(parseListenUrls("http://[::1]:2379", out).isOk());
  CHECK(out[0].grpcTarget == "[::1]:2379");
  CHECK(out[0].address == "[::1]:2379");

  REQUIRE(parseListenUrls("http://:2379", out).isOk());
  CHECK(out[0].grpcTarget == "[::]:2379");

  REQUIRE(parseListenUrls("unix:///run/cairn.sock", out).isOk());
  CHECK(out[0].network == "unix");
  CHECK(out[0].address == "/run/cairn.sock");
  CHECK(out[0].grpcTarget == "unix:/run/cairn.sock");

  REQUIRE(parseListenUrls("unix://localhost:2379", out).isOk());
  CHECK(out[0].address == "localhost:2379");  // etcd: a relative socket path
  CHECK(out[0].grpcTarget == "unix:localhost:2379");
}

TEST_CASE("parseListenUrls serves a repeated address once", "[settings][urls]") {
  std::vector<ListenAddress> out;
  REQUIRE(parseListenUrls(" http://127.0.0.1:2379 ,http://127.0.0.1:2379,", out).isOk());
  CHECK(out.size() == 1);
}

TEST_CASE("parseListenUrls refuses what etcd refuses", "[settings][urls]") {
  std::vector<ListenAddress> out;
  CHECK(parseListenUrls("https://127.0.0.1:2379", out).code() == StatusCode::Unimplemented);
  CHECK(parseListenUrls("unixs://x:1", out).code() == StatusCode::Unimplemented);
  CHECK(parseListenUrls("ftp://127.0.0.1:2379", out).message() ==
        "URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:2379");
  CHECK(parseListenUrls("127.0.0.1:2379", out).code() == StatusCode::InvalidArgument);
  CHECK(parseListenUrls("http://127.0.0.1", out).message() ==
        "URL address does not have the form \"host:port\": http://127.0.0.1");
  CHECK(parseListenUrls("http://127.0.0.1:99999", out).code() == StatusCode::InvalidArgument);
  CHECK(parseListenUrls("http://127.0.0.1:2379/v3", out).message() ==
        "URL must not contain a path: http://127.0.0.1:2379/v3");
  CHECK(parseListenUrls("", out).code() == StatusCode::InvalidArgument);
}

TEST_CASE("parseGoDuration reads Go's duration syntax", "[settings][duration]") {
  CHECK(parseGoDuration("5s") == 5s);
  CHECK(parseGoDuration("2h0m0s") == 2h);
  CHECK(parseGoDuration("20s") == 20s);
  CHECK(parseGoDuration("1m30s") == 90s);
  CHECK(parseGoDuration("1.5h") == 90min);
  CHECK(parseGoDuration("300ms") == 300ms);
  CHECK(parseGoDuration("10us") == 10us);
  CHECK(parseGoDuration("7ns") == 7ns);
  CHECK(parseGoDuration("0") == 0ns);
  CHECK(parseGoDuration("-2s") == -2s);
  CHECK(parseGoDuration(".5s") == 500ms);
  CHECK_FALSE(parseGoDuration(""));
  CHECK_FALSE(parseGoDuration("5"));
  CHECK_FALSE(parseGoDuration("s"));
  CHECK_FALSE(parseGoDuration("5x"));
  CHECK_FALSE(parseGoDuration("1e3s"));
  CHECK_FALSE(parseGoDuration("9999999999h"));
}

TEST_CASE("Server settings take etcd's defaults", "[settings]") {
  FakeHost host(Flags{{"listen-client-urls", "http://127.0.0.1:2379"}});
  ServerSettings settings;
  REQUIRE(serverSettingsFromHost(host, settings).isOk());
  CHECK(settings.maxReceiveMessageBytes == 1572864 + 512 * 1024);
  CHECK(settings.maxSendMessageBytes == INT_MAX);
  CHECK(settings.maxConcurrentStreams == INT_MAX);  // MaxUint32, capped
  CHECK(settings.keepaliveMinTime == 5s);
  CHECK(settings.keepaliveInterval == 2h);
  CHECK(settings.keepaliveTimeout == 20s);
}

TEST_CASE("Server settings follow the flags", "[settings]") {
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:2379"},
                 {"max-request-bytes", "10485760"},
                 {"max-concurrent-streams", "100"},
                 {"grpc-keepalive-min-time", "1s"},
                 {"grpc-keepalive-interval", "30s"},
                 {"grpc-keepalive-timeout", "0s"}});
  ServerSettings settings;
  REQUIRE(serverSettingsFromHost(host, settings).isOk());
  CHECK(settings.maxReceiveMessageBytes == 10485760 + 512 * 1024);
  CHECK(settings.maxConcurrentStreams == 100);
  CHECK(settings.keepaliveMinTime == 1s);
  CHECK(settings.keepaliveInterval == 30s);
  CHECK(settings.keepaliveTimeout == 0s);
}

TEST_CASE("Server settings cap sizes to gRPC's int range", "[settings]") {
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:2379"},
                 {"max-request-bytes", "9223372036854775807"}});
  ServerSettings settings;
  REQUIRE(serverSettingsFromHost(host, settings).isOk());
  CHECK(settings.maxReceiveMessageBytes == INT_MAX);
}

TEST_CASE("Server settings refuse malformed flags", "[settings]") {
  const auto [name, value] = GENERATE(table<std::string, std::string>({
      {"max-request-bytes", "-1"},
      {"max-request-bytes", "1.5MB"},
      {"max-concurrent-streams", "x"},
      {"grpc-keepalive-min-time", "5"},
      {"grpc-keepalive-interval", "-1s"},
  }));
  FakeHost host({{"listen-client-urls", "http://127.0.0.1:2379"}, {name, value}});
  ServerSettings settings;
  const cairn::Status status = serverSettingsFromHost(host, settings);
  CHECK(status.code() == StatusCode::InvalidArgument);
  CHECK(status.message() == "invalid value \"" + value + "\" for flag -" + name +
                                (name.rfind("grpc-", 0) == 0 ? ": invalid duration"
                                                             : ": expected an unsigned integer"));
}
