#include <catch2/catch.hpp>

#include "parse_helper.h"

using namespace cairn;
using namespace cairn::config;
using namespace cairn::config::test;

TEST_CASE("defaults match etcd 3.4", "[command_line]") {
  ParseRun r = runParse({});
  REQUIRE(r.status.isOk());
  REQUIRE(r.outcome == ParseOutcome::Run);
  const Config& c = r.cfg;
  CHECK(c.name == "default");
  CHECK(c.dataDir == "default.etcd");
  CHECK(c.walDir.empty());
  REQUIRE(c.listenClientUrls.size() == 1);
  CHECK(c.listenClientUrls[0].raw == "http://localhost:2379");
  CHECK(c.listenClientUrls[0].scheme == "http");
  CHECK(c.listenClientUrls[0].host == "localhost");
  CHECK(c.listenClientUrls[0].port == 2379);
  REQUIRE(c.advertiseClientUrls.size() == 1);
  CHECK(c.advertiseClientUrls[0].raw == "http://localhost:2379");
  REQUIRE(c.listenPeerUrls.size() == 1);
  CHECK(c.listenPeerUrls[0].port == 2380);
  REQUIRE(c.initialAdvertisePeerUrls.size() == 1);
  CHECK(c.initialAdvertisePeerUrls[0].raw == "http://localhost:2380");
  REQUIRE(c.initialCluster.size() == 1);
  CHECK(c.initialCluster[0] ==
        std::pair<std::string, std::string>("default", "http://localhost:2380"));
  CHECK(c.initialClusterToken == "etcd-cluster");
  CHECK(c.initialClusterState == "new");
  CHECK(c.snapshotCount == 100000);
  CHECK(c.heartbeatIntervalMs == 100);
  CHECK(c.electionTimeoutMs == 1000);
  CHECK(c.maxRequestBytes == 1572864);
  CHECK(c.maxTxnOps == 128);
  CHECK(c.quotaBackendBytes == 0);
  CHECK(c.maxSnapshots == 5);
  CHECK(c.maxWals == 5);
  CHECK(c.logger == "capnslog");
  CHECK(c.logLevel == "info");
  CHECK(c.logOutputs == std::vector<std::string>{"default"});
  CHECK_FALSE(c.preVote);
  CHECK_FALSE(c.enableV2);
  CHECK(c.strictReconfigCheck);
  CHECK(c.autoCompactionMode == "periodic");
  CHECK(c.storageBackend == "wiredtiger");
  CHECK(c.pluginDir.empty());
  CHECK(c.plugins == std::vector<std::string>{"api-http", "api-grpc", "concurrency", "auth"});
  CHECK(c.storageOptions.empty());
  CHECK(c.notYetInEffect.empty());
  CHECK(c.warnings.empty());

  CHECK(c.raw.at("data-dir") == "default.etcd");
  CHECK(c.raw.at("initial-cluster") == "default=http://localhost:2380");
  CHECK(c.raw.at("grpc-keepalive-interval") == "2h0m0s");
  CHECK(c.raw.at("experimental-warning-apply-duration") == "100ms");
  CHECK(c.raw.at("max-concurrent-streams") == "4294967295");
  CHECK(c.raw.at("enable-grpc-gateway") == "true");
  CHECK(c.raw.at("auth-token") == "simple");
  CHECK(c.raw.at("cors") == "*");
  CHECK(c.raw.at("storage-backend") == "wiredtiger");
  CHECK(c.raw.count("v") == 0);  // retired flags are not configuration
  CHECK(c.raw.count("help") == 0);
}

TEST_CASE("bool flags accept every Go spelling", "[command_line]") {
  CHECK(runParse({"--pre-vote"}).cfg.preVote);
  CHECK(runParse({"-pre-vote"}).cfg.preVote);
  for (const char* t : {"true", "1", "t", "T", "TRUE", "True"}) {
    ParseRun r = runParse({std::string("--pre-vote=") + t});
    REQUIRE(r.status.isOk());
    CHECK(r.cfg.preVote);
    CHECK(r.cfg.raw.at("pre-vote") == "true");
  }
  for (const char* f : {"false", "0", "f", "F", "FALSE", "False"}) {
    ParseRun r = runParse({std::string("--strict-reconfig-check=") + f});
    REQUIRE(r.status.isOk());
    CHECK_FALSE(r.cfg.strictReconfigCheck);
  }
}

TEST_CASE("a bool flag never consumes the next argument", "[command_line]") {
  ParseRun r = runParse({"--pre-vote", "false"});
  REQUIRE_FALSE(r.status.isOk());
  CHECK(r.status.message().rfind(
            "error verifying flags, 'false' is not a valid flag. See 'etcd --help'.", 0) == 0);
  CHECK_FALSE(isUsageError(r.status));  // etcd exits 1 for stray arguments
}

TEST_CASE("bad bool value", "[command_line]") {
  ParseRun r = runParse({"--enable-v2=x"});
  REQUIRE_FALSE(r.status.isOk());
  CHECK(r.status.message().rfind("invalid boolean value \"x\" for -enable-v2: parse error\n", 0) ==
        0);
}

TEST_CASE("value flags take --x=v, --x v, -x=v and -x v", "[command_line]") {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--name=n1"}, {"--name", "n1"}, {"-name=n1"}, {"-name", "n1"}}) {
    ParseRun r = runParse(args);
    REQUIRE(r.status.isOk());
    CHECK(r.cfg.name == "n1");
  }
  // Like Go, the next argument is the value even when it looks like a flag.
  ParseRun r = runParse({"--initial-cluster-token", "-weird"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.initialClusterToken == "-weird");
  // The last occurrence wins.
  CHECK(runParse({"--snapshot-count=1", "--snapshot-count", "2"}).cfg.snapshotCount == 2);
}

TEST_CASE("unknown flag is reported as etcd does", "[command_line]") {
  ParseRun r = runParse({"--foo"});
  REQUIRE_FALSE(r.status.isOk());
  CHECK(r.status.code() == StatusCode::InvalidArgument);
  CHECK(r.status.message().rfind("flag provided but not defined: -foo\nUsage:", 0) == 0);
  r = runParse({"-foo=bar"});
  CHECK(r.status.message().rfind("flag provided but not defined: -foo\n", 0) == 0);
}

TEST_CASE("malformed command lines use Go's messages", "[command_line]") {
  CHECK(runParse({"--name"}).status.message().rfind("flag needs an argument: -name\n", 0) == 0);
  CHECK(runParse({"---x"}).status.message().rfind("bad flag syntax: ---x\n", 0) == 0);
  CHECK(runParse({"-=x"}).status.message().rfind("bad flag syntax: -=x\n", 0) == 0);
  CHECK(runParse({"foo"}).status.message().rfind(
            "error verifying flags, 'foo' is not a valid flag. See 'etcd --help'.", 0) == 0);
  CHECK(runParse({"--", "--name=x"})
            .status.message()
            .rfind("error verifying flags, '--name=x' is not a valid flag", 0) == 0);
}

TEST_CASE("bad numbers use Go's messages", "[command_line]") {
  CHECK(runParse({"--snapshot-count=x"})
            .status.message()
            .rfind("invalid value \"x\" for flag -snapshot-count: parse error\n", 0) == 0);
  CHECK(runParse({"--snapshot-count=-1"})
            .status.message()
            .rfind("invalid value \"-1\" for flag -snapshot-count: parse error\n", 0) == 0);
  CHECK(runParse({"--snapshot-count=99999999999999999999999"})
            .status.message()
            .rfind("invalid value \"99999999999999999999999\" for flag -snapshot-count: value out "
                   "of range\n",
                   0) == 0);
  CHECK(runParse({"--max-concurrent-streams=x"})
            .status.message()
            .rfind("invalid value \"x\" for flag -max-concurrent-streams: strconv.ParseUint: "
                   "parsing \"x\": invalid syntax\n",
                   0) == 0);
  CHECK(runParse({"--grpc-keepalive-min-time=5"})
            .status.message()
            .rfind("invalid value \"5\" for flag -grpc-keepalive-min-time: parse error\n", 0) == 0);
  CHECK(runParse({"--initial-cluster-state=foo"})
            .status.message()
            .rfind("invalid value \"foo\" for flag -initial-cluster-state: invalid value\n", 0) ==
        0);
  ParseRun hex = runParse({"--snapshot-count=0x10", "--quota-backend-bytes=-1"});
  REQUIRE(hex.status.isOk());
  CHECK(hex.cfg.snapshotCount == 16);
  CHECK(hex.cfg.quotaBackendBytes == -1);
  CHECK(hex.cfg.raw.at("snapshot-count") == "16");
}

TEST_CASE("bad URLs use etcd's messages", "[command_line]") {
  CHECK(runParse({"--listen-client-urls=ftp://foo:2379"})
            .status.message()
            .rfind("invalid value \"ftp://foo:2379\" for flag -listen-client-urls: URL scheme must "
                   "be http, https, unix, or unixs: ftp://foo:2379\n",
                   0) == 0);
  CHECK(runParse({"--listen-peer-urls=http://foo"})
            .status.message()
            .rfind("invalid value \"http://foo\" for flag -listen-peer-urls: URL address does not "
                   "have the form \"host:port\": http://foo\n",
                   0) == 0);
  CHECK(runParse({"--initial-advertise-peer-urls=http://a:1/x"})
            .status.message()
            .find("URL must not contain a path: http://a:1/x") != std::string::npos);
  ParseRun bind = runParse({"--listen-peer-urls=http://example.com:2380"});
  CHECK(bind.status.code() == StatusCode::FailedPrecondition);
  CHECK(bind.status.message() == "expected IP in URL for binding (http://example.com:2380)");
  ParseRun empty = runParse({"--initial-advertise-peer-urls=http://:2380"});
  CHECK(empty.status.message() ==
        "--initial-advertise-peer-urls \"http://:2380\" must be \"host:port\" (unexpected empty "
        "host (http://:2380))");
}

TEST_CASE("URL lists are sorted, de-duplicated and typed", "[command_line]") {
  ParseRun r =
      runParse({"--listen-client-urls=http://127.0.0.1:2379,https://[::1]:4001,"
                "http://127.0.0.1:2379,unix://localhost:7",
                "--advertise-client-urls=http://10.0.0.1:2379"});
  REQUIRE(r.status.isOk());
  REQUIRE(r.cfg.listenClientUrls.size() == 3);
  CHECK(r.cfg.listenClientUrls[0].raw == "http://127.0.0.1:2379");
  CHECK(r.cfg.listenClientUrls[1].raw == "https://[::1]:4001");
  CHECK(r.cfg.listenClientUrls[1].host == "::1");
  CHECK(r.cfg.listenClientUrls[1].port == 4001);
  CHECK(r.cfg.listenClientUrls[2].scheme == "unix");
  CHECK(r.cfg.raw.at("listen-client-urls") ==
        "http://127.0.0.1:2379,https://[::1]:4001,unix://localhost:7");
}

TEST_CASE("listen-client-urls without advertise-client-urls is refused", "[command_line]") {
  ParseRun r = runParse({"--listen-client-urls=http://127.0.0.1:2379"});
  CHECK(r.status.code() == StatusCode::FailedPrecondition);
  CHECK(r.status.message() ==
        "--advertise-client-urls is required when --listen-client-urls is set explicitly");
}

TEST_CASE("--help and --version", "[command_line]") {
  for (const char* h : {"-h", "--help", "-help", "--help=true"}) {
    ParseRun r = runParse({h});
    REQUIRE(r.status.isOk());
    CHECK(r.outcome == ParseOutcome::PrintedHelp);
    CHECK(r.out.find("--listen-client-urls 'http://localhost:2379'") != std::string::npos);
    CHECK(r.out.find("--storage-backend 'wiredtiger'") != std::string::npos);
  }
  ParseRun v = runParse({"--version"});
  REQUIRE(v.status.isOk());
  CHECK(v.outcome == ParseOutcome::PrintedVersion);
  CHECK(v.out.rfind("etcd Version: 3.4.23\nCairn Version: ", 0) == 0);
  // As in etcd, --version wins over everything that is checked later.
  CHECK(runParse({"--version", "--heartbeat-interval=0"}).outcome == ParseOutcome::PrintedVersion);
  CHECK(runParse({"-version=false"}).outcome == ParseOutcome::Run);
}

TEST_CASE("retired etcd flags are accepted with a warning", "[command_line]") {
  ParseRun r = runParse({"-v", "--snapshot=whatever"});
  REQUIRE(r.status.isOk());
  CHECK(contains(r.cfg.warnings, "flag \"-v\" is no longer supported - ignoring."));
  CHECK(contains(r.cfg.warnings, "flag \"-snapshot\" is no longer supported - ignoring."));
  CHECK(r.cfg.notYetInEffect.empty());
}

TEST_CASE("derived defaults follow name and peer URLs", "[command_line]") {
  ParseRun r = runParse({"--name=infra1",
                         "--initial-advertise-peer-urls=http://10.0.0.2:2380,"
                         "http://10.0.0.1:2380"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.dataDir == "infra1.etcd");
  REQUIRE(r.cfg.initialCluster.size() == 2);
  CHECK(r.cfg.initialCluster[0].first == "infra1");
  CHECK(r.cfg.initialCluster[0].second == "http://10.0.0.1:2380");
  CHECK(r.cfg.initialCluster[1].second == "http://10.0.0.2:2380");
  CHECK(r.cfg.raw.at("initial-cluster") ==
        "infra1=http://10.0.0.1:2380,infra1=http://10.0.0.2:2380");

  ParseRun given = runParse({"--name=a", "--data-dir=/var/x",
                             "--initial-cluster=a=http://10.0.0.1:2380,b=http://10.0.0.2:2380"});
  REQUIRE(given.status.isOk());
  CHECK(given.cfg.dataDir == "/var/x");
  REQUIRE(given.cfg.initialCluster.size() == 2);
  CHECK(given.cfg.initialCluster[1] ==
        std::pair<std::string, std::string>("b", "http://10.0.0.2:2380"));

  // Discovery is refused, clearly; with --initial-cluster too it is etcd's
  // conflict error.
  ParseRun disc = runParse({"--discovery=https://discovery.example/abc"});
  CHECK(disc.status.message() ==
        "discovery is not supported by Cairn (--discovery is set): list the members with "
        "--initial-cluster instead");
  CHECK(runParse({"--discovery-srv=example.com"}).status.message() ==
        "discovery is not supported by Cairn (--discovery-srv is set): list the members with "
        "--initial-cluster instead");
  ParseRun both = runParse({"--discovery=https://d.example/abc", "--initial-cluster=a=http://a:1"});
  CHECK(both.status.message() ==
        "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
        "\"discovery\" or \"discovery-srv\"");
  CHECK(runParse({"--initial-cluster=a=ftp://x:1"}).status.message() ==
        "URL scheme must be http, https, unix, or unixs: ftp://x:1");
}

TEST_CASE("election timeout and heartbeat validation", "[command_line]") {
  CHECK(runParse({"--heartbeat-interval=300"}).status.message() ==
        "--election-timeout[1000ms] should be at least as 5 times as "
        "--heartbeat-interval[300ms]");
  CHECK(runParse({"--heartbeat-interval=200"}).status.isOk());  // exactly 5x is fine
  CHECK(runParse({"--heartbeat-interval=201"}).status.message().find("at least as 5 times") !=
        std::string::npos);
  CHECK(runParse({"--heartbeat-interval=0"}).status.message() ==
        "--heartbeat-interval must be >0 (set to 0ms)");
  CHECK(runParse({"--election-timeout=0"}).status.message() ==
        "--election-timeout must be >0 (set to 0ms)");
  CHECK(runParse({"--election-timeout=50001"}).status.message() ==
        "--election-timeout[50001ms] is too long, and should be set less than 50000ms");
  CHECK(runParse({"--heartbeat-interval=18446744073709551615"})
            .status.message()
            .find("at least as 5 times") != std::string::npos);
}

TEST_CASE("name must not be empty", "[command_line]") {
  CHECK(runParse({"--name="}).status.message() == "--name must not be empty");
}

TEST_CASE("storage backend and Cairn flags", "[command_line]") {
  CHECK(runParse({"--storage-backend=memory"}).cfg.storageBackend == "memory");
  ParseRun bad = runParse({"--storage-backend=rocksdb"});
  REQUIRE_FALSE(bad.status.isOk());
  CHECK(bad.status.message().rfind("invalid value \"rocksdb\" for flag -storage-backend: must be "
                                   "one of \"wiredtiger\", \"memory\"\n",
                                   0) == 0);

  ParseRun r =
      runParse({"--plugins", " api-grpc, api-http,,lua ", "--plugin-dir=/opt/p", "--storage-option",
                "cache_size=1G,eviction=(threads_max=4)", "--storage-option=checkpoint=60"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.plugins == std::vector<std::string>{"api-grpc", "api-http", "lua"});
  CHECK(r.cfg.pluginDir == "/opt/p");
  REQUIRE(r.cfg.storageOptions.size() == 2);
  CHECK(r.cfg.storageOptions[0] ==
        std::pair<std::string, std::string>("cache_size", "1G,eviction=(threads_max=4)"));
  CHECK(r.cfg.storageOptions[1] == std::pair<std::string, std::string>("checkpoint", "60"));
  CHECK(r.cfg.notYetInEffect.empty());

  CHECK(runParse({"--plugins="}).cfg.plugins.empty());
  CHECK(runParse({"--plugins=../evil"})
            .status.message()
            .rfind("invalid value \"../evil\" for flag -plugins: invalid plugin name \"../evil\"",
                   0) == 0);
  CHECK(runParse({"--storage-option=novalue"})
            .status.message()
            .rfind("invalid value \"novalue\" for flag -storage-option: expected key=value", 0) ==
        0);
}

TEST_CASE("Lua hook flags: defaults, and --lua-hooks-dir loads the plugin", "[command_line]") {
  ParseRun d = runParse({});
  REQUIRE(d.status.isOk());
  CHECK(d.cfg.raw.at("lua-memory-limit") == "67108864");
  CHECK(d.cfg.raw.at("lua-instruction-limit") == "10000000");
  CHECK(d.cfg.raw.at("lua-hooks-dir").empty());
  CHECK(d.cfg.plugins == std::vector<std::string>{"api-http", "api-grpc", "concurrency", "auth"});

  ParseRun r = runParse({"--lua-hooks-dir=/etc/hooks", "--lua-instruction-limit=5000"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.raw.at("lua-hooks-dir") == "/etc/hooks");
  CHECK(r.cfg.raw.at("lua-instruction-limit") == "5000");
  CHECK(r.cfg.plugins ==
        std::vector<std::string>{"api-http", "api-grpc", "concurrency", "auth", "lua-hooks"});
  CHECK(r.cfg.notYetInEffect.empty());
  // Named already: not loaded twice.
  CHECK(runParse({"--plugins=lua-hooks,api-grpc", "--lua-hooks-dir=/h"}).cfg.plugins ==
        std::vector<std::string>{"lua-hooks", "api-grpc"});
  CHECK_FALSE(runParse({"--lua-memory-limit=lots"}).status.isOk());
}

TEST_CASE("notYetInEffect lists exactly the explicitly set unsupported flags", "[command_line]") {
  ParseRun r = runParse({"--enable-v2", "--auto-compaction-retention=1h", "--name=x",
                         "--snapshot-count=5", "--cert-file=/c", "--enable-v2=false",
                         "--quota-backend-bytes=0", "--experimental-compaction-batch-limit=5"});
  REQUIRE(r.status.isOk());
  // Table order; a flag set to its default still counts: the user asked.
  CHECK(r.cfg.notYetInEffect ==
        std::vector<std::string>{"enable-v2", "experimental-compaction-batch-limit"});
}

TEST_CASE("logging validation", "[command_line]") {
  CHECK(runParse({"--logger=zap", "--log-outputs=stderr,/tmp/x.log"}).status.isOk());
  CHECK(runParse({"--logger=foo"}).status.message() == "unknown logger option \"foo\"");
  CHECK(runParse({"--log-outputs=stderr,stdout"}).status.message() ==
        "--logger=capnslog supports only 1 value in '--log-outputs', got [\"stderr\" \"stdout\"]");
  CHECK(runParse({"--log-level=loud"}).status.message().rfind("unknown log-level \"loud\"", 0) ==
        0);
  CHECK(runParse({"--auto-compaction-mode=sometimes"}).status.message() ==
        "unknown auto-compaction-mode \"sometimes\"");
  CHECK(runParse({"--auto-compaction-retention=soon"}).status.message() ==
        "error parsing CompactionRetention: time: invalid duration \"soon\"");
  CHECK(runParse({"--auto-compaction-mode=revision", "--auto-compaction-retention=1000"})
            .cfg.autoCompactionRetention == 1000);
}

// The edges below are where Boost.Program_options' own rules differ from
// Go's; each expectation was checked against etcd 3.4.
TEST_CASE("a value is the next argument whatever it looks like", "[command_line]") {
  ParseRun r = runParse({"--wal-dir", "--name=", "--data-dir", "name", "--name", "--"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.walDir == "--name=");
  CHECK(r.cfg.dataDir == "name");
  CHECK(r.cfg.name == "--");
  ParseRun known = runParse({"--data-dir", "-v", "-name", "--snapshot-count"});
  REQUIRE(known.status.isOk());
  CHECK(known.cfg.dataDir == "-v");
  CHECK(known.cfg.name == "--snapshot-count");
  CHECK(known.cfg.warnings.empty());  // -v was a value, not the retired flag
}

TEST_CASE("an empty value after '=' is a value", "[command_line]") {
  ParseRun r = runParse({"--wal-dir=", "-initial-cluster-token="});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.walDir.empty());
  CHECK(r.cfg.initialClusterToken.empty());
  CHECK(runParse({"-name="}).status.message() == "--name must not be empty");
  CHECK(runParse({"--pre-vote="})
            .status.message()
            .rfind("invalid boolean value \"\" for -pre-vote: parse error\n", 0) == 0);
  CHECK(runParse({"--foo="}).status.message().rfind("flag provided but not defined: -foo\n", 0) ==
        0);
}

TEST_CASE("flags are never abbreviated nor case-folded", "[command_line]") {
  CHECK(
      runParse({"--snap=1"}).status.message().rfind("flag provided but not defined: -snap\n", 0) ==
      0);
  CHECK(runParse({"-snapshot-coun", "1"})
            .status.message()
            .rfind("flag provided but not defined: -snapshot-coun\n", 0) == 0);
  CHECK(
      runParse({"--Name=x"}).status.message().rfind("flag provided but not defined: -Name\n", 0) ==
      0);
  CHECK(runParse({"-n", "x"}).status.message().rfind("flag provided but not defined: -n\n", 0) ==
        0);
}

TEST_CASE("parsing stops at the first non-flag argument", "[command_line]") {
  for (auto args : std::vector<std::vector<std::string>>{{"foo", "--version"},
                                                         {"foo", "--name"},
                                                         {"foo", "--bogus"},
                                                         {"foo", "---x"},
                                                         {"foo", "--name="},
                                                         {"foo", "--help"}}) {
    ParseRun r = runParse(args);
    REQUIRE_FALSE(r.status.isOk());
    CHECK_FALSE(isUsageError(r.status));
    CHECK(r.status.message().rfind(
              "error verifying flags, 'foo' is not a valid flag. See 'etcd --help'.", 0) == 0);
  }
  CHECK(runParse({"-"}).status.message().rfind(
            "error verifying flags, '-' is not a valid flag. See 'etcd --help'.", 0) == 0);
  CHECK(runParse({"--pre-vote", "x", "--name"})
            .status.message()
            .rfind("error verifying flags, 'x' is not a valid flag. See 'etcd --help'.", 0) == 0);
  ParseRun end = runParse({"--name=n", "--"});  // "--" with nothing after is fine
  REQUIRE(end.status.isOk());
  CHECK(end.cfg.name == "n");
  CHECK(runParse({"--", "--", "x"})
            .status.message()
            .rfind("error verifying flags, '--' is not a valid flag. See 'etcd --help'.", 0) == 0);
}

TEST_CASE("errors are reported in command-line order", "[command_line]") {
  CHECK(runParse({"--snapshot-count=x", "--name"})
            .status.message()
            .rfind("invalid value \"x\" for flag -snapshot-count: parse error\n", 0) == 0);
  CHECK(runParse({"--foo", "--snapshot-count=x"})
            .status.message()
            .rfind("flag provided but not defined: -foo\n", 0) == 0);
  CHECK(runParse({"--snapshot-count=x", "--foo"})
            .status.message()
            .rfind("invalid value \"x\" for flag -snapshot-count: parse error\n", 0) == 0);
  CHECK(runParse({"--version", "--name"})
            .status.message()
            .rfind("flag needs an argument: -name\n", 0) == 0);
  CHECK(runParse({"-name=a", "-data-dir"})
            .status.message()
            .rfind("flag needs an argument: -data-dir\n", 0) == 0);
  CHECK(runParse({"--=x"}).status.message().rfind("bad flag syntax: --=x\n", 0) == 0);
  CHECK(runParse({"--foo", "---x"})
            .status.message()
            .rfind("flag provided but not defined: -foo\n", 0) == 0);
}

TEST_CASE("help stops parsing wherever it appears first", "[command_line]") {
  for (auto args : std::vector<std::vector<std::string>>{{"--help", "--name"},
                                                         {"-h", "--bogus"},
                                                         {"--h"},
                                                         {"-help=false"},
                                                         {"--name=x", "-h", "--snapshot-count=x"},
                                                         {"--snapshot-count=1", "--help", "foo"}}) {
    ParseRun r = runParse(args);
    REQUIRE(r.status.isOk());
    CHECK(r.outcome == ParseOutcome::PrintedHelp);
  }
  ParseRun late = runParse({"--bogus", "--help"});
  CHECK(late.status.message().rfind("flag provided but not defined: -bogus\n", 0) == 0);
}

TEST_CASE("retired flags never take the next argument", "[command_line]") {
  ParseRun r = runParse({"-v", "-force", "--name=x"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.name == "x");
  CHECK(r.cfg.warnings.size() == 2);
  CHECK(runParse({"-v", "x"})
            .status.message()
            .rfind("error verifying flags, 'x' is not a valid flag. See 'etcd --help'.", 0) == 0);
}

TEST_CASE("stray arguments are refused before --version is honoured, as etcd does",
          "[command_line]") {
  ParseRun r = runParse({"--version", "foo"});
  REQUIRE_FALSE(r.status.isOk());
  CHECK(r.status.message() ==
        "error verifying flags, 'foo' is not a valid flag. See 'etcd --help'.");
  CHECK_FALSE(isUsageError(r.status));
}
