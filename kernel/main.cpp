// cairn: one etcd-compatible member. Parses etcd's flags, loads the storage
// backend and the API plugins, starts the member and serves until SIGINT or
// SIGTERM.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <vector>

#include "config/config.h"
#include "config/flag_settings.h"
#include "host/host_impl.h"
#include "metrics/metrics_registry.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_registry.h"
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

// Loads a plugin and checks that its descriptor's kind fits the slot: a
// storage plugin as --storage-backend, any other kind in --plugins.
cairn::Status loadAs(const cairn::plugin::PluginLoader& loader, const std::string& name,
                     std::optional<cairn::PluginKind> kind, cairn::plugin::LoadedPlugin* out) {
  if (cairn::Status st = loader.load(name, out); !st) return st;
  cairn::Status fits =
      kind ? cairn::plugin::requireKind(*out, *kind) : cairn::plugin::requireServicePlugin(*out);
  if (!fits) out->reset();
  return fits;
}

// --lua-check: 0 if the lua-hooks plugin accepts the script, 1 otherwise.
int checkLuaScript(const cairn::config::Config& cfg, cairn::Logger& logger,
                   const std::string& script) {
  cairn::plugin::PluginLoader loader(cfg.pluginDir.empty() ? defaultPluginDir() : cfg.pluginDir);
  cairn::config::FlagSettings settings(cfg.raw);
  cairn::plugin::LoadedPlugin p;  // before the registry: its image outlives it
  cairn::plugin::PluginRegistry registry(settings, logger);
  cairn::Status st = loadAs(loader, "lua-hooks", std::nullopt, &p);
  if (st) st = p.asService().declare(registry.registrarFor("lua-hooks"));
  if (!st) {
    std::cerr << "lua-check: " << st.message() << std::endl;
    return 1;
  }
  std::cout << "lua-check: " << script << ": OK" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously by sigwait below; every thread started
  // from here on inherits the mask, so no thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // SIGHUP is blocked too, never waited for here: a plugin that reloads on
  // it (lua-hooks) takes it with sigtimedwait on a thread of its own, and
  // without one it is ignored instead of killing the member.
  sigset_t blocked = signals;
  sigaddset(&blocked, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);

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
  // `cairn --lua-check FILE`: the lua-hooks plugin checks the script in its
  // declare phase; nothing is opened and no member starts.
  if (auto script = cfg.raw.find("lua-check"); script != cfg.raw.end() && !script->second.empty()) {
    return checkLuaScript(cfg, logger, script->second);
  }
  logger.info("embed/etcd.go", "starting an etcd server",
              jsonField("etcd-version", "3.4.23") + "," + jsonField("cairn-version", "0.1.0") +
                  "," + jsonField("name", cfg.name) + "," + jsonField("data-dir", cfg.dataDir) +
                  "," + jsonField("storage-backend", cfg.storageBackend) + "," +
                  jsonArrayField("advertise-client-urls", urlStrings(cfg.advertiseClientUrls)) +
                  "," + jsonArrayField("listen-client-urls", urlStrings(cfg.listenClientUrls)));

  const std::string pluginDir = cfg.pluginDir.empty() ? defaultPluginDir() : cfg.pluginDir;
  cairn::plugin::PluginLoader loader(pluginDir);
  cairn::config::FlagSettings settings(cfg.raw);
  // Declared before the registries: they hold callbacks whose code lives in
  // the plugin images, so they must be destroyed before the images unload.
  std::vector<cairn::plugin::LoadedPlugin> services;
  cairn::metrics::MetricsRegistry metrics;
  cairn::plugin::PluginRegistry registry(settings, logger);

  cairn::plugin::LoadedPlugin storagePlugin;
  if (auto st = loadAs(loader, "storage-" + cfg.storageBackend, cairn::PluginKind::Storage,
                       &storagePlugin);
      !st) {
    logger.log(LogLevel::Fatal, kCaller, "cannot load storage backend",
               jsonField("error", st.message()));
    return 1;
  }
  auto backend = storagePlugin.asStorage().createBackend();

  // Phase one: every service plugin declares its buckets, commands, services
  // and authorizer before the member recovers, so nothing replayed from the
  // WAL misses its handler.
  for (const auto& name : cfg.plugins) {
    cairn::plugin::LoadedPlugin p;
    auto st = loadAs(loader, name, std::nullopt, &p);
    if (st) st = p.asService().declare(registry.registrarFor(name));
    if (!st) {
      logger.log(LogLevel::Fatal, kCaller, "cannot load plugin",
                 jsonField("plugin", name) + "," + jsonField("error", st.message()));
      return 1;
    }
    services.push_back(std::move(p));
  }
  registry.seal();
  // Frontends start last and stop first: by the time a client can reach a
  // service, the plugin behind it (auth, locks, ...) has started.
  std::stable_partition(services.begin(), services.end(), [](const auto& p) {
    return p.descriptor().kind != cairn::PluginKind::Api;
  });

  int exitCode = 0;
  {
    cairn::server::Server server(cairn::server::serverOptionsFrom(cfg), std::move(backend), logger,
                                 registry, &metrics);
    // A removed member stops as if it was told to (etcd exits 0 then).
    server.onRemoved([] { kill(getpid(), SIGTERM); });
    if (auto st = server.start(); !st) {
      logger.log(LogLevel::Fatal, kCaller, "cannot start member", jsonField("error", st.message()));
      return 1;
    }
    // The server outlives every call a frontend makes: plugins stop first.
    registry.setCallGate(
        [&server](const cairn::RequestContext& ctx) { return server.admitClientCall(ctx); });
    cairn::host::HostImpl host(server, registry, settings, metrics, logger);

    // Phase two: the member is ready; plugins start (extensions and auth
    // first, then the API frontends, each group in --plugins order).
    std::size_t started = 0;
    for (; started < services.size(); ++started) {
      cairn::plugin::LoadedPlugin& p = services[started];
      if (auto st = p.asService().start(host); !st) {
        logger.log(
            LogLevel::Fatal, kCaller, "cannot start plugin",
            jsonField("plugin", p.descriptor().name) + "," + jsonField("error", st.message()));
        while (started > 0) services[--started].asService().stop();
        server.stop();
        return 1;
      }
      logger.info(kCaller, "started plugin",
                  jsonField("plugin", p.descriptor().name) + "," + jsonField("path", p.path()));
    }
    logger.info("embed/serve.go", "ready to serve client requests");
    int sig = 0;
    sigwait(&signals, &sig);
    logger.info("osutil/interrupt_unix.go", "received signal; shutting down",
                jsonField("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    logger.info("embed/etcd.go", "closing etcd server", jsonField("name", cfg.name));
    for (auto it = services.rbegin(); it != services.rend(); ++it) it->asService().stop();
    // As etcd's Stop: clients are gone, then a leader hands over leadership
    // so the cluster needs no election timeout to find another.
    if (auto st = server.handOverLeadership(); !st) {
      logger.warn("etcdserver/server.go", "leadership transfer failed",
                  jsonField("local-member-id", cairn::server::idToHex(server.memberId())) + "," +
                      jsonField("error", st.message()));
    }
    server.stop();
  }
  storagePlugin.reset();
  logger.info("embed/etcd.go", "closed etcd server", jsonField("name", cfg.name));
  return exitCode;
}
