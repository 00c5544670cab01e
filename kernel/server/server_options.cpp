#include "server_options.h"

#include <sstream>

#include "config/flag_settings.h"

namespace cairn::server {
namespace {

std::vector<std::string> urlStrings(const std::vector<config::Url>& urls) {
  std::vector<std::string> out;
  for (const auto& u : urls) out.push_back(u.raw);
  return out;
}

// etcd's watch progress interval when the flag is 0.
constexpr std::chrono::minutes kDefaultProgressNotifyInterval{10};

}  // namespace

ServerOptions serverOptionsFrom(const config::Config& cfg) {
  ServerOptions o;
  o.name = cfg.name;
  o.dataDir = cfg.dataDir;
  o.walDir = cfg.walDir;
  o.advertisePeerUrls = urlStrings(cfg.initialAdvertisePeerUrls);
  o.advertiseClientUrls = urlStrings(cfg.advertiseClientUrls);
  o.listenPeerUrls = cfg.listenPeerUrls;
  o.initialCluster = cfg.initialCluster;
  o.initialClusterToken = cfg.initialClusterToken;
  o.initialClusterState = cfg.initialClusterState;
  o.snapshotCount = cfg.snapshotCount;
  o.snapshotCatchUpEntries = cfg.snapshotCatchUpEntries;
  o.heartbeatIntervalMs = cfg.heartbeatIntervalMs;
  o.electionTimeoutMs = cfg.electionTimeoutMs;
  o.maxRequestBytes = cfg.maxRequestBytes;
  o.maxTxnOps = cfg.maxTxnOps;
  o.preVote = cfg.preVote;
  o.strictReconfigCheck = cfg.strictReconfigCheck;
  o.maxSnapshots = static_cast<uint32_t>(cfg.maxSnapshots);
  o.maxWals = static_cast<uint32_t>(cfg.maxWals);
  o.backendOptions.settings = cfg.storageOptions;
  o.quotaBackendBytes = cfg.quotaBackendBytes;
  o.autoCompactionMode = cfg.autoCompactionMode;
  o.autoCompactionRetention = cfg.autoCompactionRetention;
  // The configuration parser validated every value, so these reads succeed.
  const config::FlagSettings settings(cfg.raw);
  (void)settings.boolean("experimental-enable-lease-checkpoint", &o.leaseCheckpoint);
  (void)settings.boolean("experimental-enable-lease-checkpoint-persist", &o.leaseCheckpointPersist);
  (void)settings.boolean("experimental-initial-corrupt-check", &o.initialCorruptCheck);
  (void)settings.duration("experimental-corrupt-check-time", &o.corruptCheckTime);
  std::chrono::nanoseconds progress{0};
  (void)settings.duration("experimental-watch-progress-notify-interval", &progress);
  o.watchProgressNotifyInterval =
      progress.count() > 0 ? progress : std::chrono::nanoseconds(kDefaultProgressNotifyInterval);
  o.peerTls.certFile = cfg.raw.at("peer-cert-file");
  o.peerTls.keyFile = cfg.raw.at("peer-key-file");
  o.peerTls.trustedCaFile = cfg.raw.at("peer-trusted-ca-file");
  o.peerTls.crlFile = cfg.raw.at("peer-crl-file");
  o.peerTls.allowedCn = cfg.raw.at("peer-cert-allowed-cn");
  o.peerTls.allowedHostname = cfg.raw.at("peer-cert-allowed-hostname");
  (void)settings.boolean("peer-client-cert-auth", &o.peerTls.clientCertAuth);
  (void)settings.boolean("peer-auto-tls", &o.peerTls.autoTls);
  (void)settings.boolean("experimental-peer-skip-client-san-verification",
                         &o.peerTls.skipClientSanVerify);
  o.peerTls.dataDir = cfg.dataDir;
  o.peerTls.listenUrls = cfg.listenPeerUrls;
  return o;
}

ServerOptions defaultServerOptions() {
  const char* argv[] = {"cairn"};
  config::Config cfg;
  config::ParseOutcome outcome{};
  std::ostringstream out;
  if (Status st = config::parse(1, argv, {}, out, &cfg, &outcome); !st) {
    // The flag table's own defaults must parse; anything else is a bug.
    std::abort();
  }
  return serverOptionsFrom(cfg);
}

}  // namespace cairn::server
