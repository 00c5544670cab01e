#include "environment.h"

#include <catch2/catch.hpp>

#include "parse_helper.h"

using namespace cairn;
using namespace cairn::config;
using namespace cairn::config::test;

TEST_CASE("flag names map to ETCD_ variables", "[environment]") {
  CHECK(flagToEnv("data-dir") == "ETCD_DATA_DIR");
  CHECK(flagToEnv("storage-backend") == "ETCD_STORAGE_BACKEND");
  CHECK(flagToEnv("experimental-enable-v2v3") == "ETCD_EXPERIMENTAL_ENABLE_V2V3");
}

TEST_CASE("environment overrides defaults but not the command line", "[environment]") {
  ParseRun r =
      runParse({"--snapshot-count=7"}, {"PATH=/bin", "ETCD_NAME=envname", "ETCD_DATA_DIR=/data",
                                        "ETCD_PRE_VOTE=true", "ETCD_STORAGE_BACKEND=memory"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.name == "envname");
  CHECK(r.cfg.dataDir == "/data");
  CHECK(r.cfg.preVote);
  CHECK(r.cfg.storageBackend == "memory");
  CHECK(r.cfg.snapshotCount == 7);
  CHECK(r.cfg.warnings.empty());
  // The derived initial cluster uses the name from the environment.
  CHECK(r.cfg.raw.at("initial-cluster") == "envname=http://localhost:2380");
}

TEST_CASE("an ETCD_ variable shadowed by a flag is an error as in etcd", "[environment]") {
  ParseRun r = runParse({"--name=flagname"}, {"ETCD_NAME=envname"});
  REQUIRE_FALSE(r.status.isOk());
  CHECK(r.status.code() == StatusCode::FailedPrecondition);
  CHECK(r.status.message() ==
        "conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding "
        "command-line flag (either unset environment variable or disable flag)");
}

TEST_CASE("unknown ETCD_ variables are warnings", "[environment]") {
  ParseRun r = runParse({}, {"ETCD_FOO=1", "ETCDCTL_API=3", "HOME=/root", "ETCD_NAME="});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.warnings == std::vector<std::string>{"unrecognized environment variable ETCD_FOO=1",
                                                   "unrecognized environment variable ETCD_NAME="});
  CHECK(r.cfg.name == "default");  // an empty variable does not set the flag
}

TEST_CASE("bad environment values name the variable", "[environment]") {
  ParseRun r = runParse({}, {"ETCD_SNAPSHOT_COUNT=x"});
  CHECK(r.status.message() == "invalid value \"x\" for ETCD_SNAPSHOT_COUNT: parse error");
  r = runParse({}, {"ETCD_STORAGE_BACKEND=foo"});
  CHECK(r.status.message() ==
        "invalid value \"foo\" for ETCD_STORAGE_BACKEND: must be one of \"wiredtiger\", "
        "\"memory\"");
}

TEST_CASE("environment-set unsupported flags are reported", "[environment]") {
  ParseRun r = runParse({}, {"ETCD_ENABLE_V2=true", "ETCD_NAME=x", "ETCD_V=1"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.notYetInEffect == std::vector<std::string>{"enable-v2"});
  CHECK(contains(r.cfg.warnings, "flag \"-v\" is no longer supported - ignoring."));
}

TEST_CASE("listen-client-urls from the environment needs advertise-client-urls", "[environment]") {
  ParseRun r = runParse({}, {"ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379"});
  CHECK(r.status.message() ==
        "--advertise-client-urls is required when --listen-client-urls is set explicitly");
  r = runParse({}, {"ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379",
                    "ETCD_ADVERTISE_CLIENT_URLS=http://10.1.1.1:2379"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.advertiseClientUrls[0].host == "10.1.1.1");
}

TEST_CASE("storage option from the environment", "[environment]") {
  ParseRun r = runParse({}, {"ETCD_STORAGE_OPTION=cache_size=512M"});
  REQUIRE(r.status.isOk());
  REQUIRE(r.cfg.storageOptions.size() == 1);
  CHECK(r.cfg.storageOptions[0].second == "512M");
}
