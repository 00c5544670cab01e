// FlagSettings: the typed Settings plugins read, over the parsed flags.
#include "config/flag_settings.h"

#include <catch2/catch.hpp>

#include "parse_helper.h"

using cairn::StatusCode;
using cairn::config::FlagSettings;
using cairn::config::test::runParse;

TEST_CASE("defaults come from the flag table, typed") {
  auto run = runParse({});
  REQUIRE(run.status.isOk());
  FlagSettings s(run.cfg.raw);

  uint64_t maxRequest = 0;
  REQUIRE(s.uint64("max-request-bytes", &maxRequest).isOk());
  CHECK(maxRequest == 1572864);

  std::chrono::nanoseconds minTime{};
  REQUIRE(s.duration("grpc-keepalive-min-time", &minTime).isOk());
  CHECK(minTime == std::chrono::seconds(5));

  std::vector<cairn::Url> urls;
  REQUIRE(s.urls("listen-client-urls", &urls).isOk());
  REQUIRE(urls.size() == 1);
  CHECK(urls[0].scheme == "http");
  CHECK(urls[0].host == "localhost");
  CHECK(urls[0].port == 2379);

  REQUIRE(s.urls("listen-metrics-urls", &urls).isOk());
  CHECK(urls.empty());

  bool preVote = true;
  REQUIRE(s.boolean("pre-vote", &preVote).isOk());
  CHECK_FALSE(preVote);

  std::vector<std::string> plugins;
  REQUIRE(s.list("plugins", &plugins).isOk());
  CHECK_FALSE(plugins.empty());
}

TEST_CASE("values given on the command line are read back typed") {
  auto run = runParse({"--max-request-bytes=0x100", "--grpc-keepalive-interval=1h30m",
                       "--listen-client-urls=http://127.0.0.1:2379,http://127.0.0.1:22379",
                       "--advertise-client-urls=http://127.0.0.1:2379"});
  REQUIRE(run.status.isOk());
  FlagSettings s(run.cfg.raw);
  uint64_t v = 0;
  REQUIRE(s.uint64("max-request-bytes", &v).isOk());
  CHECK(v == 256);
  std::chrono::nanoseconds d{};
  REQUIRE(s.duration("grpc-keepalive-interval", &d).isOk());
  CHECK(d == std::chrono::minutes(90));
  std::vector<cairn::Url> urls;
  REQUIRE(s.urls("listen-client-urls", &urls).isOk());
  CHECK(urls.size() == 2);
}

TEST_CASE("unknown flags and wrong types are errors, not crashes") {
  auto run = runParse({});
  REQUIRE(run.status.isOk());
  FlagSettings s(run.cfg.raw);
  uint64_t v = 0;
  CHECK(s.uint64("no-such-flag", &v).code() == StatusCode::NotFound);
  CHECK_FALSE(s.raw("no-such-flag").has_value());
  CHECK(s.uint64("name", &v).code() == StatusCode::InvalidArgument);
  std::chrono::nanoseconds d{};
  CHECK(s.duration("name", &d).code() == StatusCode::InvalidArgument);
  bool b = false;
  CHECK(s.boolean("max-request-bytes", &b).code() == StatusCode::InvalidArgument);
}
