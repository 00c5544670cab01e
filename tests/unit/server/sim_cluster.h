// SimCluster: three members in one process over a simulated network (the
// transport seam), started together; shared by the cluster tests.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"
#include "sim_network.h"

namespace cairn::server::testing {

using namespace std::chrono_literals;

struct SimCluster {
  static constexpr int kSize = 3;
  JsonLogger logger;
  EmptyRegistry plugins{logger};
  SimNetwork net;
  TempDir dirs[kSize];
  std::vector<ServerOptions> options;
  std::vector<std::unique_ptr<Server>> members;
  std::string backend;

  // `tweak` adjusts every member's options; `backend` names the storage;
  // with a `logFile` the members log at info level there (else errors only,
  // to stderr).
  explicit SimCluster(bool strictReconfigCheck = true,
                      const std::function<void(ServerOptions&)>& tweak = {},
                      std::string backendName = "memory", const std::string& logFile = "")
      : logger(logFile.empty() ? LogLevel::Error : LogLevel::Info,
               {logFile.empty() ? std::string("stderr") : logFile}),
        backend(std::move(backendName)) {
    std::vector<std::pair<std::string, std::string>> initial;
    for (int i = 0; i < kSize; ++i) {
      initial.emplace_back("m" + std::to_string(i), "http://127.0.0.1:" + std::to_string(7000 + i));
    }
    for (int i = 0; i < kSize; ++i) {
      ServerOptions o = fastMemberOptions(dirs[i].path);
      o.name = initial[i].first;
      o.advertisePeerUrls = {initial[i].second};
      o.advertiseClientUrls = {"http://127.0.0.1:" + std::to_string(8000 + i)};
      o.initialCluster = initial;
      o.initialClusterToken = "sim";
      // The simulated network reports no connection times.
      o.strictReconfigCheck = strictReconfigCheck;
      if (tweak) tweak(o);
      options.push_back(o);
      members.push_back(make(i));
    }
    // Each start() returns once its member's publish applied, which needs
    // a quorum: start them together.
    std::vector<std::thread> starting;
    std::vector<Status> results(kSize);
    for (int i = 0; i < kSize; ++i) {
      starting.emplace_back([this, i, &results] { results[i] = members[i]->start(); });
    }
    for (auto& t : starting) t.join();
    for (const auto& st : results) REQUIRE(st.isOk());
  }
  ~SimCluster() {
    for (auto& m : members) m->stop();
  }

  std::unique_ptr<Server> make(int i) {
    return std::make_unique<Server>(options[i], makeBackend(backend), logger, plugins.registry,
                                    nullptr,
                                    [this](uint64_t id, uint64_t) { return net.transportFor(id); });
  }

  Server* leader() {
    for (int attempt = 0; attempt < 300; ++attempt) {
      for (auto& m : members) {
        if (m->cluster().isLeader()) return m.get();
      }
      std::this_thread::sleep_for(10ms);
    }
    return nullptr;
  }
};

inline std::pair<Status, etcdserverpb::PutResponse> put(Server& s, const std::string& k,
                                                        const std::string& v) {
  etcdserverpb::PutRequest req;
  req.set_key(k);
  req.set_value(v);
  return call<etcdserverpb::PutResponse>(
      [&](auto done) { s.kv().put(RequestContext(), req, std::move(done)); });
}

inline std::pair<Status, etcdserverpb::RangeResponse> get(Server& s, const std::string& k,
                                                          bool serializable = false) {
  etcdserverpb::RangeRequest req;
  req.set_key(k);
  req.set_serializable(serializable);
  return call<etcdserverpb::RangeResponse>(
      [&](auto done) { s.kv().range(RequestContext(), req, std::move(done)); });
}

}  // namespace cairn::server::testing
