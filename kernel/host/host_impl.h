// HostImpl: the Host handed to every service plugin's start(). It adds no
// behaviour of its own: it puts together the member's facets (KV, Lease,
// Watch, Cluster, Maintenance, Events, replicated commands, reads), the
// metrics registry, the typed settings and the services plugins declared.
// Everything it hands out is thread-safe; it lives from the member's start
// until every plugin has stopped.
#pragma once

#include "cairn/host.h"
#include "metrics/metrics_registry.h"
#include "plugin/plugin_registry.h"
#include "server/server.h"

namespace cairn::host {

class HostImpl final : public Host {
 public:
  HostImpl(server::Server& server, const plugin::PluginRegistry& registry, const Settings& settings,
           Metrics& metrics, Logger& logger)
      : server_(server),
        registry_(registry),
        settings_(settings),
        metrics_(metrics),
        logger_(logger) {}

  KvService& kv() override { return server_.kv(); }
  LeaseService& lease() override { return server_.lease(); }
  WatchService& watch() override { return server_.watch(); }
  Cluster& cluster() override { return server_.cluster(); }
  Maintenance& maintenance() override { return server_.maintenance(); }
  Events& events() override { return server_.events(); }
  Metrics& metrics() override { return metrics_; }
  const Settings& settings() const override { return settings_; }
  const ServiceRegistry& services() const override { return registry_; }
  const ConnectionRegistry& connections() const override { return registry_; }
  Logger& logger() override { return logger_; }
  void propose(const RequestContext& ctx, const google::protobuf::Message& command,
               MessageDone done) override {
    server_.proposeCommand(ctx, command, std::move(done));
  }
  std::unique_ptr<storage::ReadTxn> read() override { return server_.read(); }

 private:
  server::Server& server_;
  const plugin::PluginRegistry& registry_;
  const Settings& settings_;
  Metrics& metrics_;
  Logger& logger_;
};

}  // namespace cairn::host
