#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "parse_helper.h"

using namespace cairn;
using namespace cairn::config;
using namespace cairn::config::test;

namespace {

// A config file in the temp directory, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/cairn_config_test_XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* kFullConfig = R"yaml(# etcd-style configuration
name: 'infra0'
data-dir: /var/lib/etcd
wal-dir: "/var/lib/etcd-wal"
snapshot-count: 10000
heartbeat-interval: 50
election-timeout: 500
quota-backend-bytes: 8589934592
max-request-bytes: 0x200000
listen-peer-urls: http://10.0.0.1:2380
listen-client-urls: http://10.0.0.1:2379,http://127.0.0.1:2379
initial-advertise-peer-urls: http://10.0.0.1:2380
advertise-client-urls: http://10.0.0.1:2379
initial-cluster: infra0=http://10.0.0.1:2380,infra1=http://10.0.0.2:2380
initial-cluster-token: 'etcd-cluster-1'
initial-cluster-state: 'existing'
discovery:
discovery-srv: ~
pre-vote: yes
enable-v2: false
strict-reconfig-check: true
log-outputs: [stderr]
logger: zap
grpc-keepalive-min-time: 3000000000
backend-batch-interval: 10ms
cipher-suites:
  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
client-transport-security:
  # comment inside the block
  cert-file: /etc/ssl/server.crt
  key-file: /etc/ssl/server.key
  client-cert-auth: true
  trusted-ca-file:
  auto-tls: false
peer-transport-security:
  auto-tls: true
storage-backend: memory
plugins: [api-grpc, api-http]
storage-option:
  cache_size: 1G
  log: "(enabled=false)"
)yaml";

}  // namespace

TEST_CASE("config file with every value type", "[config_file]") {
  TempFile file(kFullConfig);
  ParseRun r = runParse({"--config-file", file.path()});
  INFO(r.status.message());
  REQUIRE(r.status.isOk());
  const Config& c = r.cfg;
  CHECK(c.configFile == file.path());
  CHECK(c.name == "infra0");
  CHECK(c.dataDir == "/var/lib/etcd");
  CHECK(c.walDir == "/var/lib/etcd-wal");
  CHECK(c.snapshotCount == 10000);
  CHECK(c.heartbeatIntervalMs == 50);
  CHECK(c.electionTimeoutMs == 500);
  CHECK(c.quotaBackendBytes == 8589934592LL);
  CHECK(c.maxRequestBytes == 0x200000);
  REQUIRE(c.listenClientUrls.size() == 2);
  CHECK(c.listenClientUrls[0].raw == "http://10.0.0.1:2379");
  CHECK(c.listenClientUrls[1].raw == "http://127.0.0.1:2379");
  REQUIRE(c.initialCluster.size() == 2);
  CHECK(c.initialCluster[1] ==
        std::pair<std::string, std::string>("infra1", "http://10.0.0.2:2380"));
  CHECK(c.initialClusterToken == "etcd-cluster-1");
  CHECK(c.initialClusterState == "existing");
  CHECK(c.preVote);
  CHECK(c.strictReconfigCheck);
  CHECK_FALSE(c.enableV2);
  CHECK(c.logOutputs == std::vector<std::string>{"stderr"});
  CHECK(c.logger == "zap");
  CHECK(c.raw.at("grpc-keepalive-min-time") == "3s");  // integers are nanoseconds, as in etcd
  CHECK(c.raw.at("backend-batch-interval") == "10ms");
  CHECK(c.raw.at("cipher-suites") ==
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  CHECK(c.raw.at("cert-file") == "/etc/ssl/server.crt");
  CHECK(c.raw.at("client-cert-auth") == "true");
  CHECK(c.raw.at("peer-auto-tls") == "true");
  CHECK(c.raw.at("auto-tls") == "false");
  CHECK(c.storageBackend == "memory");
  CHECK(c.plugins == std::vector<std::string>{"api-grpc", "api-http"});
  REQUIRE(c.storageOptions.size() == 2);
  CHECK(c.storageOptions[1] == std::pair<std::string, std::string>("log", "(enabled=false)"));
  CHECK(c.notYetInEffect == std::vector<std::string>{"backend-batch-interval",
                                                     "grpc-keepalive-min-time", "enable-v2",
                                                     "cipher-suites"});
  CHECK(contains(c.warnings, "loaded server configuration from \"" + file.path() + "\""));
}

TEST_CASE("config file replaces flags and environment, as in etcd 3.4", "[config_file]") {
  TempFile file("name: fromfile\n");
  ParseRun r = runParse({"--config-file=" + file.path(), "--name=fromflag", "--enable-v2"},
                        {"ETCD_DATA_DIR=/env", "ETCD_SNAPSHOT_COUNT=x"});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.name == "fromfile");
  CHECK(r.cfg.dataDir == "fromfile.etcd");
  CHECK(r.cfg.snapshotCount == 100000);
  CHECK_FALSE(r.cfg.enableV2);
  CHECK(r.cfg.notYetInEffect.empty());  // ignored flags are not "set"
  CHECK(contains(r.cfg.warnings,
                 "ignored because a configuration file is used: --name, "
                 "--enable-v2, ETCD_DATA_DIR, ETCD_SNAPSHOT_COUNT"));
  // Derived from the file's name, as etcd does for a non-default name.
  CHECK(r.cfg.raw.at("initial-cluster") == "fromfile=http://localhost:2380");
}

TEST_CASE("ETCD_CONFIG_FILE selects the config file", "[config_file]") {
  TempFile file("name: viaenv\nlisten-client-urls: http://127.0.0.1:2379\n");
  ParseRun r = runParse({}, {"ETCD_CONFIG_FILE=" + file.path()});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.name == "viaenv");
  // In a file, listen-client-urls alone keeps the default advertise URL.
  REQUIRE(r.cfg.advertiseClientUrls.size() == 1);
  CHECK(r.cfg.advertiseClientUrls[0].raw == "http://localhost:2379");
}

TEST_CASE("config file errors name the file and line", "[config_file]") {
  SECTION("bad number") {
    TempFile file("name: a\n\nsnapshot-count: lots\n");
    ParseRun r = runParse({"--config-file", file.path()});
    CHECK(r.status.code() == StatusCode::FailedPrecondition);
    CHECK(r.status.message() ==
          file.path() + ":3: invalid value \"lots\" for \"snapshot-count\": parse error");
  }
  SECTION("bad bool in a nested block") {
    TempFile file("client-transport-security:\n  auto-tls: maybe\n");
    ParseRun r = runParse({"--config-file", file.path()});
    CHECK(r.status.message() ==
          file.path() +
              ":2: \"client-transport-security.auto-tls\" must be true or false, got "
              "\"maybe\"");
  }
  SECTION("syntax") {
    TempFile file("name: a\n  oops: 1\n");
    ParseRun r = runParse({"--config-file", file.path()});
    CHECK(r.status.message() == file.path() + ":2: unexpected indentation");
  }
  SECTION("list for a scalar") {
    TempFile file("name: [a, b]\n");
    CHECK(runParse({"--config-file", file.path()}).status.message() ==
          file.path() + ":1: \"name\" must be a single value, not a list");
  }
  SECTION("storage backend") {
    TempFile file("storage-backend: leveldb\n");
    CHECK(runParse({"--config-file", file.path()}).status.message() ==
          file.path() +
              ":1: invalid value \"leveldb\" for \"storage-backend\": must be one of "
              "\"wiredtiger\", \"memory\"");
  }
  SECTION("validation after loading") {
    TempFile file("heartbeat-interval: 500\n");
    CHECK(runParse({"--config-file", file.path()}).status.message() ==
          "--election-timeout[1000ms] should be at least as 5 times as "
          "--heartbeat-interval[500ms]");
  }
  SECTION("missing file") {
    ParseRun r = runParse({"--config-file", "/nonexistent/cairn.yml"});
    CHECK(r.status.message() == "open /nonexistent/cairn.yml: No such file or directory");
  }
}

TEST_CASE("config file: unknown keys warn, null keeps defaults", "[config_file]") {
  TempFile file("name: a\nfoo: bar\ncert-file: /top-level/is/not/a/key\nmax-txn-ops: ~\n");
  ParseRun r = runParse({"--config-file", file.path()});
  REQUIRE(r.status.isOk());
  CHECK(contains(r.cfg.warnings, file.path() + ":2: unknown configuration key \"foo\" ignored"));
  CHECK(contains(r.cfg.warnings, ":3: unknown configuration key \"cert-file\" ignored"));
  CHECK(r.cfg.maxTxnOps == 128);
  CHECK(r.cfg.notYetInEffect.empty());
}

TEST_CASE("an empty config file means all defaults", "[config_file]") {
  TempFile file("# nothing\n");
  ParseRun r = runParse({"--config-file", file.path()});
  REQUIRE(r.status.isOk());
  CHECK(r.cfg.name == "default");
  CHECK(r.cfg.raw.at("initial-cluster") == "default=http://localhost:2380");
}
