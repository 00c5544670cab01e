// cairn: one etcd-compatible member. Parses etcd's flags, loads the storage
// backend and the API plugins, starts the member and serves until SIGINT or
// SIGTERM.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <vector>

#include "config/config.h"
#include "config/go_values.h"
#include "plugin/plugin_loader.h"
#include "server/host_impl.h"
#include "server/json_logger.h"
#include "server/member_ids.h"
#include "server/server.h"

extern char** environ;

namespace {

using cairn::jsonArrayField;
using cairn::jsonField;
using cairn::LogLevel;

constexpr const char* kCaller = "cairn/main.cpp";

std::string defaultPluginDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "plugins";
  return (exe.parent_path().parent_path() / "plugins").string();
}

std::vector<std::string> urlStrings(const std::vector<cairn::config::Url>& urls) {
  std::vector<std::string> out;
  for (const auto& u : urls) out.push_back(u.raw);
  return out;
}

cairn::server::ServerOptions serverOptions(const cairn::config::Config& cfg) {
  cairn::server::ServerOptions o;
  o.name = cfg.name;
  o.dataDir = cfg.dataDir;
  o.walDir = cfg.walDir;
  o.advertisePeerUrls = urlStrings(cfg.initialAdvertisePeerUrls);
  o.advertiseClientUrls = urlStrings(cfg.advertiseClientUrls);
  o.initialCluster = cfg.initialCluster;
  o.initialClusterToken = cfg.initialClusterToken;
  o.initialClusterState = cfg.initialClusterState;
  o.snapshotCount = cfg.snapshotCount;
  o.heartbeatIntervalMs = cfg.heartbeatIntervalMs;
  o.electionTimeoutMs = cfg.electionTimeoutMs;
  o.maxRequestBytes = cfg.maxRequestBytes;
  o.maxTxnOps = cfg.maxTxnOps;
  o.preVote = cfg.preVote;
  o.maxSnapshots = static_cast<uint32_t>(cfg.maxSnapshots);
  o.maxWals = static_cast<uint32_t>(cfg.maxWals);
  o.backendOptions.settings = cfg.storageOptions;
  auto raw = [&](const char* name) {
    auto it = cfg.raw.find(name);
    return it == cfg.raw.end() ? std::string() : it->second;
  };
  o.leaseCheckpoint = raw("experimental-enable-lease-checkpoint") == "true";
  o.leaseCheckpointPersist = raw("experimental-enable-lease-checkpoint-persist") == "true";
  int64_t progressNanos = 0;
  // The parser already validated the duration; 0 means etcd's default.
  if (cairn::config::parseGoDuration(raw("experimental-watch-progress-notify-interval"),
                                     &progressNanos)
          .empty() &&
      progressNanos > 0) {
    o.watchProgressNotifyInterval = std::chrono::nanoseconds(progressNanos);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously by sigwait below; every thread started
  // from here on inherits the mask, so no thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);

  cairn::config::Config cfg;
  cairn::config::ParseOutcome outcome{};
  if (auto st = cairn::config::parse(argc, argv, env, std::cout, &cfg, &outcome); !st) {
    std::cerr << st.message() << std::endl;
    return cairn::config::isUsageError(st) ? 2 : 1;
  }
  if (outcome != cairn::config::ParseOutcome::Run) return 0;

  bool levelOk = true;
  auto level = cairn::server::JsonLogger::parseLevel(cfg.logLevel, &levelOk);
  cairn::server::JsonLogger logger(level, cfg.logOutputs);
  if (!levelOk) {
    logger.warn(kCaller, "unknown --log-level; using info", jsonField("log-level", cfg.logLevel));
  }
  for (const auto& w : cfg.warnings) logger.warn(kCaller, w);
  for (const auto& f : cfg.notYetInEffect) {
    logger.warn(kCaller, "flag not yet in effect in this Cairn build; accepted and ignored",
                jsonField("flag", f));
  }
  logger.info("embed/etcd.go", "starting an etcd server",
              jsonField("etcd-version", "3.4.23") + "," + jsonField("cairn-version", "0.1.0") +
                  "," + jsonField("name", cfg.name) + "," + jsonField("data-dir", cfg.dataDir) +
                  "," + jsonField("storage-backend", cfg.storageBackend) + "," +
                  jsonArrayField("advertise-client-urls", urlStrings(cfg.advertiseClientUrls)) +
                  "," + jsonArrayField("listen-client-urls", urlStrings(cfg.listenClientUrls)));

  const std::string pluginDir = cfg.pluginDir.empty() ? defaultPluginDir() : cfg.pluginDir;
  cairn::plugin::PluginLoader loader(pluginDir);

  cairn::plugin::LoadedPlugin storagePlugin;
  if (auto st =
          loader.load("storage-" + cfg.storageBackend, cairn::PluginKind::Storage, &storagePlugin);
      !st) {
    logger.log(LogLevel::Fatal, kCaller, "cannot load storage backend",
               jsonField("error", st.message()));
    return 1;
  }
  auto backend = storagePlugin.asStorage().createBackend();

  int exitCode = 0;
  {
    cairn::server::Server server(serverOptions(cfg), std::move(backend), logger);
    if (auto st = server.start(); !st) {
      logger.log(LogLevel::Fatal, kCaller, "cannot start member", jsonField("error", st.message()));
      return 1;
    }
    cairn::server::HostImpl host(server, logger, cfg.raw);

    std::vector<cairn::plugin::LoadedPlugin> services;
    for (const auto& name : cfg.plugins) {
      const auto kind =
          name.rfind("api-", 0) == 0 ? cairn::PluginKind::Api : cairn::PluginKind::Extension;
      cairn::plugin::LoadedPlugin p;
      auto st = loader.load(name, kind, &p);
      if (st) st = p.asService().start(host);
      if (!st) {
        logger.log(LogLevel::Fatal, kCaller, "cannot start plugin",
                   jsonField("plugin", name) + "," + jsonField("error", st.message()));
        for (auto it = services.rbegin(); it != services.rend(); ++it) it->asService().stop();
        server.stop();
        return 1;
      }
      logger.info(kCaller, "started plugin",
                  jsonField("plugin", name) + "," + jsonField("path", p.path()));
      services.push_back(std::move(p));
    }
    logger.info("embed/serve.go", "ready to serve client requests");
    int sig = 0;
    sigwait(&signals, &sig);
    logger.info("osutil/interrupt_unix.go", "received signal; shutting down",
                jsonField("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    logger.info("etcdserver/server.go",
                "skipped leadership transfer for single voting member cluster",
                jsonField("local-member-id", cairn::server::idToHex(server.memberId())));
    logger.info("embed/etcd.go", "closing etcd server", jsonField("name", cfg.name));
    for (auto it = services.rbegin(); it != services.rend(); ++it) it->asService().stop();
    server.stop();
    services.clear();
  }
  storagePlugin.reset();
  logger.info("embed/etcd.go", "closed etcd server", jsonField("name", cfg.name));
  return exitCode;
}
