// Fakes the kernel's Host for api-grpc and api-http, made of this folder's other fakes.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "../common/fake_settings.h"
#include "cairn/host.h"
#include "capturing_logger.h"
#include "empty_read_txn.h"
#include "fake_cluster.h"
#include "fake_connections.h"
#include "fake_events.h"
#include "fake_kv.h"
#include "fake_lease.h"
#include "fake_maintenance.h"
#include "fake_metrics.h"
#include "fake_service_registry.h"
#include "fake_watch.h"

namespace cairn::api::test {

// The settings fake is shared with other suites (tests/unit/common).
using cairn::test::FakeSettings;
using cairn::test::Flags;

class FakeHost final : public Host {
 public:
  explicit FakeHost(Flags flags) : settings_(std::move(flags)) {}

  KvService& kv() override { return kv_; }
  LeaseService& lease() override { return lease_; }
  WatchService& watch() override { return watch_; }
  Cluster& cluster() override { return cluster_; }
  Maintenance& maintenance() override { return maintenance_; }
  Events& events() override { return events_; }
  Metrics& metrics() override { return metrics_; }
  const Settings& settings() const override { return settings_; }
  const ServiceRegistry& services() const override {
    return registryOverride_ != nullptr ? *registryOverride_ : services_;
  }
  const ConnectionRegistry& connections() const override { return connections_; }
  Logger& logger() override { return logger_; }
  // api-grpc proposes nothing: unless a test plays the kernel's proposal
  // path (setPropose), a proposal is a bug and fails loudly.
  using ProposeFn =
      std::function<void(const RequestContext&, const google::protobuf::Message&, MessageDone)>;
  void propose(const RequestContext& ctx, const google::protobuf::Message& command,
               MessageDone done) override {
    if (propose_) {
      propose_(ctx, command, std::move(done));
      return;
    }
    done(Status(StatusCode::Internal, "fake kernel: api-grpc proposes nothing"), nullptr);
  }
  // No plugin buckets unless a test provides a backend's reads (setRead).
  std::unique_ptr<storage::ReadTxn> read() override {
    if (read_) return read_();
    return std::make_unique<EmptyReadTxn>();
  }

  // For tests of service plugins; set before start.
  void setPropose(ProposeFn fn) { propose_ = std::move(fn); }
  void setRead(std::function<std::unique_ptr<storage::ReadTxn>()> fn) { read_ = std::move(fn); }
  void setServices(const ServiceRegistry* registry) { registryOverride_ = registry; }

  FakeKv& fakeKv() { return kv_; }
  FakeLease& fakeLease() { return lease_; }
  FakeWatch& fakeWatch() { return watch_; }
  FakeCluster& fakeCluster() { return cluster_; }
  FakeMaintenance& fakeMaintenance() { return maintenance_; }
  FakeServiceRegistry& registry() { return services_; }
  FakeConnections& fakeConnections() { return connections_; }
  CapturingLogger& capturedLog() { return logger_; }

 private:
  FakeSettings settings_;
  FakeKv kv_;
  FakeLease lease_;
  FakeWatch watch_;
  FakeCluster cluster_;
  FakeMaintenance maintenance_;
  FakeEvents events_;
  FakeMetrics metrics_;
  FakeServiceRegistry services_;
  FakeConnections connections_;
  CapturingLogger logger_;
  ProposeFn propose_;
  std::function<std::unique_ptr<storage::ReadTxn>()> read_;
  const ServiceRegistry* registryOverride_ = nullptr;
};

}  // namespace cairn::api::test
