#include "flag_spec.h"

namespace cairn::config {
namespace {

using K = FlagKind;

// Help groups, in the order the help text prints them.
constexpr std::string_view kMember = "Member";
constexpr std::string_view kCluster = "Clustering";
constexpr std::string_view kSecurity = "Security";
constexpr std::string_view kAuth = "Auth";
constexpr std::string_view kMonitoring = "Profiling and Monitoring";
constexpr std::string_view kLogging = "Logging";
constexpr std::string_view kProxy = "v2 Proxy (not implemented by Cairn)";
constexpr std::string_view kExperimental = "Experimental";
constexpr std::string_view kUnsafe = "Unsafe";
constexpr std::string_view kDeprecated = "Deprecated";
constexpr std::string_view kCairn = "Cairn";
constexpr std::string_view kHidden = "";

std::vector<FlagSpec> buildTable() {
  // Defaults are the values embed.NewConfig and etcdmain/config.go give; two
  // are derived after parsing and stored empty here: data-dir ("<name>.etcd")
  // and initial-cluster ("<name>=<initial-advertise-peer-urls>").
  return {
      {"config-file", K::String, "", true, false, kHidden,
       "YAML configuration file; when given, other flags and ETCD_* variables are ignored."},
      {"name", K::String, "default", true, true, kMember, "Name of this member."},
      {"data-dir", K::String, "", true, true, kMember, "Directory for the member's data."},
      {"wal-dir", K::String, "", true, true, kMember,
       "Separate directory for the write-ahead log (default: inside data-dir)."},
      {"snapshot-count", K::Uint, "100000", true, true, kMember,
       "Applied entries between two snapshots."},
      {"heartbeat-interval", K::Uint, "100", true, true, kMember,
       "Raft heartbeat period in milliseconds."},
      {"election-timeout", K::Uint, "1000", true, true, kMember,
       "Raft election timeout in milliseconds (at least 5 heartbeats)."},
      {"initial-election-tick-advance", K::Bool, "true", false, true, kMember,
       "Skip most of the first election timeout after boot."},
      {"listen-peer-urls", K::Urls, "http://localhost:2380", true, true, kMember,
       "URLs to accept peer (raft) traffic on."},
      {"listen-client-urls", K::Urls, "http://localhost:2379", true, true, kMember,
       "URLs to accept client traffic on."},
      {"max-snapshots", K::Uint, "5", true, true, kMember, "Snapshot files to keep (0 keeps all)."},
      {"max-wals", K::Uint, "5", true, true, kMember, "WAL files to keep (0 keeps all)."},
      {"quota-backend-bytes", K::Int, "0", true, true, kMember,
       "Backend size that raises the NOSPACE alarm (0 uses the default quota)."},
      {"backend-batch-interval", K::Duration, "0s", false, true, kMember,
       "Longest time before a backend transaction is committed."},
      {"backend-batch-limit", K::Int, "0", false, true, kMember,
       "Most operations before a backend transaction is committed."},
      {"max-txn-ops", K::Uint, "128", true, true, kMember,
       "Most operations allowed in one transaction."},
      {"max-request-bytes", K::Uint, "1572864", true, true, kMember,
       "Largest client request accepted, in bytes."},
      {"max-concurrent-streams", K::Uint32, "4294967295", false, true, kMember,
       "Most concurrent gRPC streams per client connection."},
      {"grpc-keepalive-min-time", K::Duration, "5s", false, true, kMember,
       "Shortest ping interval a client may use."},
      {"grpc-keepalive-interval", K::Duration, "2h0m0s", false, true, kMember,
       "Period of server pings on idle connections (0 disables)."},
      {"grpc-keepalive-timeout", K::Duration, "20s", false, true, kMember,
       "Wait for a ping answer before closing the connection (0 disables)."},

      {"initial-advertise-peer-urls", K::Urls, "http://localhost:2380", true, true, kCluster,
       "Peer URLs this member announces to the cluster."},
      {"initial-cluster", K::String, "", true, true, kCluster,
       "Bootstrap membership, name=peer-url pairs (default '${name}=<advertised peer URLs>')."},
      {"initial-cluster-state", K::Choice, "new", true, true, kCluster,
       "'new' to bootstrap a cluster, 'existing' to join one.", "new,existing"},
      {"initial-cluster-token", K::String, "etcd-cluster", true, true, kCluster,
       "Token that keeps separate clusters from talking to each other during bootstrap."},
      {"advertise-client-urls", K::Urls, "http://localhost:2379", true, true, kCluster,
       "Client URLs this member announces (required when --listen-client-urls is given)."},
      {"discovery", K::String, "", false, true, kCluster, "Discovery service URL for bootstrap."},
      {"discovery-fallback", K::Choice, "proxy", false, true, kCluster,
       "What to do when discovery fails: 'exit' or 'proxy'.", "exit,proxy"},
      {"discovery-proxy", K::String, "", false, true, kCluster,
       "HTTP proxy for the discovery service."},
      {"discovery-srv", K::String, "", false, true, kCluster,
       "DNS domain whose SRV records list the cluster."},
      {"discovery-srv-name", K::String, "", false, true, kCluster,
       "Suffix of the SRV name queried during DNS discovery."},
      {"strict-reconfig-check", K::Bool, "true", true, true, kCluster,
       "Refuse membership changes that would lose quorum."},
      {"pre-vote", K::Bool, "false", true, true, kCluster,
       "Run a pre-vote round before starting an election."},
      {"auto-compaction-retention", K::String, "0", true, true, kCluster,
       "History kept by automatic compaction (0 disables)."},
      {"auto-compaction-mode", K::String, "periodic", true, true, kCluster,
       "How the retention is read: 'periodic' (a duration) or 'revision' (a count)."},
      {"enable-v2", K::Bool, "false", false, true, kCluster, "Serve the v2 keys API."},

      {"cert-file", K::String, "", true, false, kSecurity, "Client-side TLS certificate."},
      {"key-file", K::String, "", true, false, kSecurity, "Client-side TLS key."},
      {"client-cert-auth", K::Bool, "false", true, false, kSecurity,
       "Require client certificates."},
      {"client-crl-file", K::String, "", true, false, kSecurity,
       "Revocation list for client certificates."},
      {"client-cert-allowed-hostname", K::String, "", false, false, kSecurity,
       "Hostname a client certificate must carry."},
      {"trusted-ca-file", K::String, "", true, false, kSecurity,
       "CA bundle for client certificates."},
      {"auto-tls", K::Bool, "false", true, false, kSecurity,
       "Serve clients with a generated certificate."},
      {"peer-cert-file", K::String, "", true, false, kSecurity, "Peer-side TLS certificate."},
      {"peer-key-file", K::String, "", true, false, kSecurity, "Peer-side TLS key."},
      {"peer-client-cert-auth", K::Bool, "false", true, false, kSecurity,
       "Require certificates from peers."},
      {"peer-trusted-ca-file", K::String, "", true, false, kSecurity, "CA bundle for peers."},
      {"peer-auto-tls", K::Bool, "false", true, false, kSecurity,
       "Talk to peers with a generated certificate."},
      {"peer-crl-file", K::String, "", true, false, kSecurity,
       "Revocation list for peer certificates."},
      {"peer-cert-allowed-cn", K::String, "", true, false, kSecurity,
       "Common name a peer certificate must carry."},
      {"peer-cert-allowed-hostname", K::String, "", true, false, kSecurity,
       "Hostname a peer certificate must carry."},
      {"cipher-suites", K::Strings, "", false, true, kSecurity,
       "Comma-separated TLS cipher suites (empty: library defaults)."},
      {"cors", K::CorsOrigins, "*", false, true, kSecurity,
       "Comma-separated CORS origins ('*' allows all)."},
      {"host-whitelist", K::UniqueStrings, "*", false, true, kSecurity,
       "Host headers accepted on plain HTTP ('*' allows all)."},

      // Read by the auth plugin (plugins/auth), loaded by default.
      {"auth-token", K::String, "simple", true, true, kAuth,
       "Token type and options: 'simple' or 'jwt,...'."},
      {"bcrypt-cost", K::Uint, "10", true, true, kAuth, "bcrypt cost for password hashes."},
      {"auth-token-ttl", K::Uint, "300", true, true, kAuth,
       "Lifetime of a simple token in seconds."},

      {"enable-pprof", K::Bool, "false", false, true, kMonitoring,
       "Serve profiling data under /debug/pprof/."},
      {"metrics", K::String, "basic", false, true, kMonitoring,
       "Metric detail: 'basic' or 'extensive'."},
      {"listen-metrics-urls", K::Urls, "", false, true, kMonitoring,
       "Extra URLs serving only /metrics and /health."},
      {"enable-grpc-gateway", K::Bool, "true", false, true, kMonitoring,
       "Serve the JSON gateway for the v3 API."},

      {"logger", K::String, "capnslog", true, true, kLogging, "Log format: 'capnslog' or 'zap'."},
      {"log-outputs", K::UniqueStrings, "default", true, true, kLogging,
       "Where logs go: 'default', 'stderr', 'stdout' or files (zap only)."},
      {"log-level", K::String, "info", true, true, kLogging,
       "debug, info, warn, error, panic or fatal."},

      {"proxy", K::Choice, "off", false, true, kProxy, "'off', 'readonly' or 'on'.",
       "off,on,readonly"},
      {"proxy-failure-wait", K::Uint, "5000", false, true, kProxy,
       "Milliseconds a failed endpoint is avoided."},
      {"proxy-refresh-interval", K::Uint, "30000", false, true, kProxy,
       "Milliseconds between endpoint refreshes."},
      {"proxy-dial-timeout", K::Uint, "1000", false, true, kProxy, "Dial timeout in milliseconds."},
      {"proxy-write-timeout", K::Uint, "5000", false, true, kProxy,
       "Write timeout in milliseconds."},
      {"proxy-read-timeout", K::Uint, "0", false, true, kProxy, "Read timeout in milliseconds."},

      {"experimental-initial-corrupt-check", K::Bool, "false", true, true, kExperimental,
       "Check for data corruption before serving."},
      {"experimental-corrupt-check-time", K::Duration, "0s", true, true, kExperimental,
       "Period of cluster-wide corruption checks."},
      {"experimental-enable-v2v3", K::String, "", false, true, kExperimental,
       "Prefix under which the v2 API is emulated on the v3 store."},
      {"experimental-backend-bbolt-freelist-type", K::String, "", false, true, kExperimental,
       "bbolt freelist type (meaningless for Cairn's backends)."},
      {"experimental-enable-lease-checkpoint", K::Bool, "false", true, true, kExperimental,
       "Replicate lease remaining TTLs periodically."},
      {"experimental-enable-lease-checkpoint-persist", K::Bool, "false", true, true, kExperimental,
       "Persist checkpointed lease TTLs (needs lease checkpoints)."},
      {"experimental-snapshot-catchup-entries", K::Uint, "5000", true, true, kExperimental,
       "Entries kept behind a snapshot for slow followers to catch up by (etcd 3.5's flag)."},
      {"experimental-compaction-batch-limit", K::Int, "0", false, true, kExperimental,
       "Most revisions removed per compaction batch."},
      {"experimental-peer-skip-client-san-verification", K::Bool, "false", true, false,
       kExperimental, "Do not check SANs of peer client certificates."},
      {"experimental-watch-progress-notify-interval", K::Duration, "0s", true, true, kExperimental,
       "Period of watch progress notifications."},
      {"experimental-warning-apply-duration", K::Duration, "100ms", false, true, kExperimental,
       "Apply time above which a warning is logged."},

      {"unsafe-no-fsync", K::Bool, "false", false, true, kUnsafe,
       "Never fsync (loses data on power failure)."},
      {"force-new-cluster", K::Bool, "false", false, true, kUnsafe,
       "Restart as a one-member cluster, discarding the others."},

      {"debug", K::Bool, "false", false, true, kDeprecated, "Use --log-level=debug."},
      {"log-output", K::UniqueStrings, "default", false, true, kDeprecated, "Use --log-outputs."},
      {"log-package-levels", K::String, "", false, true, kDeprecated,
       "Per-package log levels (capnslog)."},

      {"version", K::Bool, "false", true, false, kHidden, "Print the version and exit."},

      {"storage-backend", K::Choice, "wiredtiger", true, true, kCairn,
       "Storage backend plugin: 'wiredtiger' or 'memory'.", "wiredtiger,memory"},
      {"plugin-dir", K::String, "", true, true, kCairn,
       "Directory of plugin modules (default '<cairn binary dir>/../plugins')."},
      {"plugins", K::PluginList, "api-http,api-grpc,concurrency,auth", true, true, kCairn,
       "Comma-separated API and extension plugins to load."},
      {"grpc-transport", K::Choice, "cairn", true, true, kCairn,
       "HTTP/2 under the gRPC API on listeners api-http owns: 'cairn' (api-grpc's own) or "
       "'grpcpp' (gRPC C++).",
       "cairn,grpcpp"},
      {"storage-option", K::KeyValue, "", true, true, kCairn,
       "key=value passed to the storage backend; repeatable."},
      {"lua-hooks-dir", K::String, "", true, true, kCairn,
       "Directory of Lua hook scripts (*.lua, reloaded on SIGHUP); loads the lua-hooks plugin."},
      {"lua-check", K::String, "", true, false, kCairn,
       "Check one Lua hook script and exit without starting a member."},
      {"lua-memory-limit", K::Uint, "67108864", true, true, kCairn,
       "Bytes of memory each Lua hook script may hold (0: no cap)."},
      {"lua-instruction-limit", K::Uint, "10000000", true, true, kCairn,
       "Lua VM instructions one hook call may run (0: no budget)."},

      // Flags of old etcd releases that 3.4 still accepts and ignores.
      {"cluster-active-size", K::Ignored, "", false, false, kHidden, ""},
      {"cluster-remove-delay", K::Ignored, "", false, false, kHidden, ""},
      {"cluster-sync-interval", K::Ignored, "", false, false, kHidden, ""},
      {"config", K::Ignored, "", false, false, kHidden, ""},
      {"force", K::Ignored, "", false, false, kHidden, ""},
      {"max-result-buffer", K::Ignored, "", false, false, kHidden, ""},
      {"max-retry-attempts", K::Ignored, "", false, false, kHidden, ""},
      {"peer-heartbeat-interval", K::Ignored, "", false, false, kHidden, ""},
      {"peer-election-timeout", K::Ignored, "", false, false, kHidden, ""},
      {"retry-interval", K::Ignored, "", false, false, kHidden, ""},
      {"snapshot", K::Ignored, "", false, false, kHidden, ""},
      {"v", K::Ignored, "", false, false, kHidden, ""},
      {"vv", K::Ignored, "", false, false, kHidden, ""},
      {"test.coverprofile", K::Ignored, "", false, false, kHidden, ""},
      {"test.outputdir", K::Ignored, "", false, false, kHidden, ""},
  };
}

}  // namespace

const std::vector<FlagSpec>& flagTable() {
  static const std::vector<FlagSpec> table = buildTable();
  return table;
}

const FlagSpec* findFlag(std::string_view name) {
  for (const FlagSpec& spec : flagTable()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace cairn::config
