// parse(): runs the sources in etcd 3.4's order, then derives the defaults
// that depend on other flags and validates the result like etcd does.
#include "config/config.h"

#include <algorithm>
#include <stdexcept>

#include "command_line.h"
#include "config_file.h"
#include "environment.h"
#include "flag_values.h"
#include "go_values.h"
#include "help_text.h"

namespace cairn::config {
namespace {

constexpr uint64_t kMaxElectionMs = 50000;  // etcd's upper bound

Status failed(std::string message) {
  return Status(StatusCode::FailedPrecondition, std::move(message));
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// Go's %q of a []string: ["a" "b"].
std::string quoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? " \"" : "\"") + items[i] + "\"";
  }
  return out + "]";
}

std::vector<Url> urlsOf(const FlagValues& values, std::string_view name) {
  std::vector<Url> urls;
  const std::string& text = values.text(name);
  // Stored values were validated when set; an empty text is an empty list.
  if (!text.empty()) parseUrlList(text, &urls);
  return urls;
}

uint64_t uintOf(const FlagValues& values, std::string_view name) {
  return std::stoull(values.text(name));
}

// etcd's types.NewURLsMap: "name=url,name=url", empty items skipped, the
// same name may appear once per URL.
Status parseInitialCluster(const std::string& text,
                           std::vector<std::pair<std::string, std::string>>* out) {
  for (const std::string& item : splitList(text)) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = eq == std::string::npos ? item : item.substr(0, eq);
    std::string urlText = eq == std::string::npos ? "" : item.substr(eq + 1);
    Url url;
    if (Status s = parseUrl(urlText, &url); !s) return failed(s.message());
    out->emplace_back(name, url.raw);
  }
  return Status::ok();
}

Status validateLogging(const FlagValues& values) {
  const std::string& logger = values.text("logger");
  if (logger != "capnslog" && logger != "zap") {
    return failed("unknown logger option \"" + logger + "\"");
  }
  std::vector<std::string> outputs = splitList(values.text("log-outputs"));
  if (logger == "capnslog") {
    if (outputs.size() != 1) {
      return failed("--logger=capnslog supports only 1 value in '--log-outputs', got " +
                    quoteList(outputs));
    }
    if (outputs[0] != "default" && outputs[0] != "stderr" && outputs[0] != "stdout") {
      return failed("unknown log-output \"" + outputs[0] +
                    "\" (only supports \"default\", \"stderr\", \"stdout\")");
    }
  }
  const std::string& level = values.text("log-level");
  static const char* kLevels[] = {"debug", "info", "warn", "error", "panic", "fatal"};
  if (std::none_of(std::begin(kLevels), std::end(kLevels),
                   [&](const char* l) { return level == l; })) {
    return failed("unknown log-level \"" + level +
                  "\" (only supports debug, info, warn, error, panic, or fatal)");
  }
  return Status::ok();
}

// Derives dependent defaults, validates, and fills `cfg`.
Status build(FlagValues& values, bool fromFile, Config* cfg) {
  cfg->name = values.text("name");
  if (cfg->name.empty()) return failed("--name must not be empty");

  cfg->dataDir = values.text("data-dir");
  if (cfg->dataDir.empty()) {
    cfg->dataDir = cfg->name + ".etcd";
    values.setDerived("data-dir", cfg->dataDir);
  }

  // With a listen address but no advertise address etcd has nothing
  // reachable to tell clients, unless this process may become a v2 proxy.
  // (The config file path keeps the default advertise URL, as etcd does.)
  const bool discovery = !values.text("discovery").empty();
  const bool mayBeProxy =
      values.text("proxy") != "off" || (discovery && values.text("discovery-fallback") == "proxy");
  if (!fromFile && values.isSet("listen-client-urls") && !values.isSet("advertise-client-urls")) {
    if (!mayBeProxy) {
      return failed(
          "--advertise-client-urls is required when --listen-client-urls is set "
          "explicitly");
    }
    values.setDerived("advertise-client-urls", "");
  }

  cfg->listenPeerUrls = urlsOf(values, "listen-peer-urls");
  cfg->listenClientUrls = urlsOf(values, "listen-client-urls");
  cfg->listenMetricsUrls = urlsOf(values, "listen-metrics-urls");
  cfg->initialAdvertisePeerUrls = urlsOf(values, "initial-advertise-peer-urls");
  cfg->advertiseClientUrls = urlsOf(values, "advertise-client-urls");
  for (const auto* list : {&cfg->listenPeerUrls, &cfg->listenClientUrls, &cfg->listenMetricsUrls}) {
    for (const Url& url : *list) {
      if (Status s = checkBindUrl(url); !s) return failed(s.message());
    }
  }
  for (const auto& [flag, list] :
       {std::pair{"initial-advertise-peer-urls", &cfg->initialAdvertisePeerUrls},
        std::pair{"advertise-client-urls", &cfg->advertiseClientUrls}}) {
    for (const Url& url : *list) {
      if (url.host.empty()) {
        return failed(std::string("--") + flag + " \"" + joinUrls(*list) +
                      "\" must be \"host:port\" (unexpected empty host (" + url.raw + "))");
      }
    }
  }

  // initial-cluster: given, or cleared for discovery, or this member alone.
  // etcd 3.4 re-derives it only for a non-default name; Cairn derives it
  // whenever it is not given, so the default name with custom peer URLs
  // also gets a consistent single-member cluster.
  const bool srvDiscovery = !values.text("discovery-srv").empty() ||
                            (!fromFile && !values.text("discovery-srv-name").empty());
  if (!values.isSet("initial-cluster")) {
    std::string derived;
    if (!discovery && !srvDiscovery) {
      for (const Url& url : cfg->initialAdvertisePeerUrls) {
        derived += (derived.empty() ? "" : ",") + cfg->name + "=" + url.raw;
      }
    }
    values.setDerived("initial-cluster", derived);
  }
  const std::string& initialCluster = values.text("initial-cluster");
  int bootstrapSources = (discovery ? 1 : 0) + (!initialCluster.empty() ? 1 : 0) +
                         (!values.text("discovery-srv").empty() ? 1 : 0);
  if (bootstrapSources > 1) {
    return failed(
        "multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", "
        "\"discovery\" or \"discovery-srv\"");
  }
  // Cairn speaks neither etcd's discovery protocol nor DNS SRV bootstrap,
  // and no discovery service is reachable from its members: starting anyway
  // would bootstrap a one-member cluster nobody asked for.
  if (discovery || srvDiscovery) {
    return failed(std::string("discovery is not supported by Cairn (--") +
                  (discovery ? "discovery" : "discovery-srv") +
                  " is set): list the members with --initial-cluster instead");
  }
  Status s = parseInitialCluster(initialCluster, &cfg->initialCluster);
  if (!s) return s;
  cfg->initialClusterToken = values.text("initial-cluster-token");
  cfg->initialClusterState = values.text("initial-cluster-state");

  cfg->heartbeatIntervalMs = uintOf(values, "heartbeat-interval");
  cfg->electionTimeoutMs = uintOf(values, "election-timeout");
  const uint64_t tick = cfg->heartbeatIntervalMs;
  const uint64_t election = cfg->electionTimeoutMs;
  if (tick == 0) return failed("--heartbeat-interval must be >0 (set to 0ms)");
  if (election == 0) return failed("--election-timeout must be >0 (set to 0ms)");
  // Same test as etcd's 5*tick > election, without the multiplication that
  // could overflow for a huge heartbeat.
  if (tick > election / 5) {
    return failed("--election-timeout[" + std::to_string(election) +
                  "ms] should be at least as 5 times as --heartbeat-interval[" +
                  std::to_string(tick) + "ms]");
  }
  if (election > kMaxElectionMs) {
    return failed("--election-timeout[" + std::to_string(election) +
                  "ms] is too long, and should be set less than " + std::to_string(kMaxElectionMs) +
                  "ms");
  }

  const std::string& compactionMode = values.text("auto-compaction-mode");
  if (!compactionMode.empty() && compactionMode != "periodic" && compactionMode != "revision") {
    return failed("unknown auto-compaction-mode \"" + compactionMode + "\"");
  }
  if (values.text("experimental-enable-lease-checkpoint-persist") == "true" &&
      values.text("experimental-enable-lease-checkpoint") != "true") {
    return failed(
        "setting experimental-enable-lease-checkpoint-persist requires "
        "experimental-enable-lease-checkpoint");
  }
  s = validateLogging(values);
  if (!s) return s;

  cfg->walDir = values.text("wal-dir");
  cfg->snapshotCount = uintOf(values, "snapshot-count");
  cfg->snapshotCatchUpEntries = uintOf(values, "experimental-snapshot-catchup-entries");
  cfg->maxRequestBytes = uintOf(values, "max-request-bytes");
  const uint64_t maxTxnOps = uintOf(values, "max-txn-ops");
  if (maxTxnOps > UINT32_MAX) {
    return failed("--max-txn-ops[" + std::to_string(maxTxnOps) + "] is too large");
  }
  cfg->maxTxnOps = static_cast<uint32_t>(maxTxnOps);
  cfg->logger = values.text("logger");
  cfg->logLevel = values.text("log-level");
  cfg->logOutputs = splitList(values.text("log-outputs"));
  cfg->storageBackend = values.text("storage-backend");
  cfg->pluginDir = values.text("plugin-dir");
  cfg->plugins = splitList(values.text("plugins"));
  // --lua-hooks-dir asks for Lua hooks: their plugin loads even when
  // --plugins does not name it, as an operator setting the flag expects.
  if (!values.text("lua-hooks-dir").empty() &&
      std::find(cfg->plugins.begin(), cfg->plugins.end(), "lua-hooks") == cfg->plugins.end()) {
    cfg->plugins.push_back("lua-hooks");
  }
  for (const std::string& item : values.get("storage-option").items) {
    size_t eq = item.find('=');
    cfg->storageOptions.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  cfg->maxSnapshots = uintOf(values, "max-snapshots");
  cfg->maxWals = uintOf(values, "max-wals");
  cfg->preVote = values.text("pre-vote") == "true";
  cfg->configFile = values.text("config-file");

  cfg->quotaBackendBytes = std::stoll(values.text("quota-backend-bytes"));
  cfg->strictReconfigCheck = values.text("strict-reconfig-check") == "true";
  cfg->initialElectionTickAdvance = values.text("initial-election-tick-advance") == "true";
  cfg->enableV2 = values.text("enable-v2") == "true";
  cfg->enableGrpcGateway = values.text("enable-grpc-gateway") == "true";
  cfg->autoCompactionMode = compactionMode;
  std::string retention = values.text("auto-compaction-retention");
  if (retention.empty()) retention = "0";
  if (Status s = parseCompactionRetention(compactionMode, retention, &cfg->autoCompactionRetention);
      !s) {
    return failed(s.message());
  }

  for (const FlagSpec& spec : flagTable()) {
    if (spec.kind == FlagKind::Ignored) continue;
    cfg->raw[std::string(spec.name)] = values.text(spec.name);
    if (!spec.inEffect && values.isSet(spec.name)) {
      cfg->notYetInEffect.emplace_back(spec.name);
    }
  }
  return Status::ok();
}

}  // namespace

Status parseCompactionRetention(const std::string& mode, const std::string& text, int64_t* out) {
  // strconv.Atoi: an optional sign and decimal digits, within int64.
  const std::size_t digits = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  bool integer =
      text.size() > digits && text.find_first_not_of("0123456789", digits) == std::string::npos;
  int64_t n = 0;
  if (integer) {
    try {
      n = std::stoll(text);
    } catch (const std::out_of_range&) {
      integer = false;
    }
  }
  if (integer && n >= 0) {
    constexpr int64_t kHourNs = int64_t{3600} * 1000 * 1000 * 1000;
    *out = mode == "periodic" ? n * kHourNs : mode == "revision" ? n : 0;
    return Status::ok();
  }
  if (!parseGoDuration(text, out)) {
    // Go's time.ParseDuration wording (its unit-specific variants folded
    // into this one).
    return Status(StatusCode::InvalidArgument,
                  "error parsing CompactionRetention: time: invalid duration \"" + text + "\"");
  }
  return Status::ok();
}

Status parse(int argc, const char* const* argv, const std::vector<std::string>& env,
             std::ostream& out, Config* cfg, ParseOutcome* outcome) {
  *cfg = Config{};
  *outcome = ParseOutcome::Run;
  FlagValues commandLineValues;
  CommandLine commandLine;
  Status s = parseCommandLine(argc, argv, &commandLineValues, &cfg->warnings, &commandLine);
  if (!s) return Status(StatusCode::InvalidArgument, s.message() + "\n" + usageText());
  if (commandLine.helpRequested) {
    out << helpText();
    *outcome = ParseOutcome::PrintedHelp;
    return Status::ok();
  }
  // etcd verifies stray arguments before honouring --version, and exits 1.
  if (!commandLine.positional.empty()) {
    return Status(StatusCode::FailedPrecondition, "error verifying flags, '" +
                                                      commandLine.positional.front() +
                                                      "' is not a valid flag. See 'etcd --help'.");
  }
  if (commandLineValues.text("version") == "true") {
    out << versionText();
    *outcome = ParseOutcome::PrintedVersion;
    return Status::ok();
  }
  // The config file is looked up first because it decides whether the
  // environment is read at all.
  std::string configFile = commandLineValues.text("config-file");
  if (configFile.empty()) configFile = lookupEnv(env, "ETCD_CONFIG_FILE").value_or("");

  if (configFile.empty()) {
    s = applyEnvironment(env, commandLine.setFlags, &commandLineValues, &cfg->warnings);
    if (!s) return failed(s.message());
    s = build(commandLineValues, false, cfg);
    if (!s) return failed(s.message());
    return Status::ok();
  }

  FlagValues fileValues;
  fileValues.set(
      *findFlag("config-file"), configFile,
      commandLineValues.isSet("config-file") ? FlagSource::CommandLine : FlagSource::Environment);
  s = loadConfigFile(configFile, &fileValues, &cfg->warnings);
  if (!s) return failed(s.message());
  cfg->warnings.push_back("loaded server configuration from \"" + configFile +
                          "\"; other command-line flags and environment variables are ignored");
  std::string ignored;
  for (const std::string& name : commandLine.setFlags) {
    if (name != "config-file") ignored += (ignored.empty() ? "--" : ", --") + name;
  }
  for (const std::string& entry : env) {
    std::string key = entry.substr(0, entry.find('='));
    if (key.rfind("ETCD_", 0) == 0 && key != "ETCD_CONFIG_FILE") {
      ignored += (ignored.empty() ? "" : ", ") + key;
    }
  }
  if (!ignored.empty()) {
    cfg->warnings.push_back("ignored because a configuration file is used: " + ignored);
  }
  s = build(fileValues, true, cfg);
  if (!s) return failed(s.message());
  return Status::ok();
}

}  // namespace cairn::config
