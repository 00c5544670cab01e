// Cairn's server configuration: etcd 3.4's flags (same names, defaults,
// ETCD_* variables and YAML config file) plus Cairn's own flags.
//
// Sources and precedence, as in etcd 3.4:
//   - without a config file: command line > ETCD_* environment > defaults.
//     An ETCD_ variable for a flag also given on the command line is an
//     error; an ETCD_ variable naming no flag is a warning.
//   - with --config-file (or ETCD_CONFIG_FILE): the file > defaults; every
//     other flag and variable is ignored (a warning lists them).
// Only the ETCD_ prefix is read, Cairn's flags included
// (ETCD_STORAGE_BACKEND, ETCD_PLUGIN_DIR, ETCD_PLUGINS, ETCD_STORAGE_OPTION
// with a single key=value).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cairn/status.h"
#include "config/url.h"

namespace cairn::config {

struct Config {
  // --- in effect ---------------------------------------------------------
  std::string name;     // non-empty
  std::string dataDir;  // "<name>.etcd" when not given
  std::string walDir;   // empty: inside dataDir
  std::vector<Url> listenClientUrls;
  // Empty only when --listen-client-urls was given without it while
  // --proxy/--discovery-fallback could proxy (etcd tolerates that).
  std::vector<Url> advertiseClientUrls;
  std::vector<Url> listenPeerUrls;
  std::vector<Url> initialAdvertisePeerUrls;
  // name -> peer URL, one pair per URL, in the order given. When not given:
  // one pair per initial-advertise-peer-url for this member's name. Empty
  // when bootstrapping by --discovery or --discovery-srv.
  std::vector<std::pair<std::string, std::string>> initialCluster;
  std::string initialClusterToken;
  std::string initialClusterState;  // "new" | "existing"
  uint64_t snapshotCount = 0;
  uint64_t snapshotCatchUpEntries = 5000;
  uint64_t heartbeatIntervalMs = 0;
  uint64_t electionTimeoutMs = 0;
  uint64_t maxRequestBytes = 0;
  uint32_t maxTxnOps = 0;
  std::string logger;                   // "capnslog" | "zap"
  std::string logLevel;                 // debug|info|warn|error|panic|fatal
  std::vector<std::string> logOutputs;  // sorted, unique; "default", "stderr", "stdout", paths
  std::string storageBackend;           // "wiredtiger" | "memory"
  std::string pluginDir;                // empty: "<dir of cairn>/../plugins", caller resolves
  std::vector<std::string> plugins;     // API/extension plugin names, in order
  std::vector<std::pair<std::string, std::string>> storageOptions;  // key -> value, in order
  uint64_t maxSnapshots = 0;
  uint64_t maxWals = 0;
  bool preVote = false;
  std::string configFile;  // the file the configuration came from, if any

  int64_t quotaBackendBytes = 0;
  std::string autoCompactionMode;
  // --auto-compaction-retention as etcd reads it (parseCompactionRetention):
  // nanoseconds in periodic mode, revisions in revision mode; 0: off.
  int64_t autoCompactionRetention = 0;

  // --- accepted, not yet in effect (typed for convenience) -----------------
  bool strictReconfigCheck = true;
  bool initialElectionTickAdvance = true;
  bool enableV2 = false;
  bool enableGrpcGateway = true;
  std::vector<Url> listenMetricsUrls;

  // Every flag by etcd name -> effective value (its default when unset,
  // derived values filled in), lists comma-separated; for Host::flag().
  std::map<std::string, std::string> raw;
  // Flags the user set (command line, environment or config file) whose
  // feature Cairn does not implement yet; the caller logs each one.
  std::vector<std::string> notYetInEffect;
  // Messages for the caller to log as warnings.
  std::vector<std::string> warnings;
};

enum class ParseOutcome { Run, PrintedHelp, PrintedVersion };

// Parses argv (as given to main), `env` (KEY=VALUE, e.g. from environ) and
// the config file if one is named. Help and version text go to `out`.
// Errors carry etcd's text. A malformed command line (unknown flag, bad
// value, stray argument) is StatusCode::InvalidArgument with Go's line
// followed by a short usage (etcd exits 2); anything else (environment,
// config file, validation) is StatusCode::FailedPrecondition (etcd exits 1).
Status parse(int argc, const char* const* argv, const std::vector<std::string>& env,
             std::ostream& out, Config* cfg, ParseOutcome* outcome);

// True when `status` came from a malformed command line (etcd's exit code 2).
inline bool isUsageError(const Status& status) {
  return status.code() == StatusCode::InvalidArgument;
}

// etcd's parseCompactionRetention: a non-negative integer is hours in
// periodic mode and revisions in revision mode; anything else is a Go
// duration (nanoseconds, in either mode, as etcd). Fails with
// InvalidArgument and etcd's text ("error parsing CompactionRetention: ...").
Status parseCompactionRetention(const std::string& mode, const std::string& text, int64_t* out);

// The text --help and --version print.
std::string helpText();
std::string versionText();

// Compatibility versions Cairn reports.
inline constexpr const char* kEtcdCompatibleVersion = "3.4.23";

}  // namespace cairn::config
