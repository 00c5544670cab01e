// A Host for the concurrency plugin's unit tests: an in-memory key space
// with etcd's semantics for exactly what the lock and election recipes use
// (point and prefix ranges sorted by create revision with limit and
// max_create_revision, puts bound to leases, deletes, transactions comparing
// create revisions, leases, watches from a revision), answering every
// request on its own "kernel" thread as the real kernel does, and counting
// requests so tests can check how much work a release causes.
//
// The facets the plugin must not use (cluster, maintenance, events, metrics,
// settings, propose, read) abort: the plugin is the model extension built on
// KV, Lease and Watch only.
#pragma once

#include <cstdlib>
#include <memory>

#include "cairn/host.h"
#include "fake_store.h"
#include "null_logger.h"

namespace cairn::concurrency::test {

class FakeHost final : public Host {
 public:
  KvService& kv() override { return store; }
  LeaseService& lease() override { return store; }
  WatchService& watch() override { return store; }
  Cluster& cluster() override { std::abort(); }
  Maintenance& maintenance() override { std::abort(); }
  Events& events() override { std::abort(); }
  Metrics& metrics() override { std::abort(); }
  const Settings& settings() const override { std::abort(); }
  const ServiceRegistry& services() const override { std::abort(); }
  const ConnectionRegistry& connections() const override { std::abort(); }
  Logger& logger() override { return log; }
  void propose(const RequestContext&, const google::protobuf::Message&, MessageDone) override {
    std::abort();
  }
  std::unique_ptr<storage::ReadTxn> read() override { std::abort(); }

  FakeStore store;
  NullLogger log;
};

}  // namespace cairn::concurrency::test
