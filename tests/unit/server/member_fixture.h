// Shared pieces of the in-process member tests: a scratch data dir, backend
// construction, fast-raft options and a blocking wrapper for Done callbacks.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/settings.h"
#include "cairn/status.h"
#include "plugin/plugin_registry.h"
#include "server/server_options.h"
#include "storage-memory/memory_backend.h"
#include "storage-wiredtiger/wiredtiger_backend.h"

namespace cairn::server::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("cairn-member-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A single member on `dir` with fast raft timing (10 ms ticks, 100 ms
// election), which also makes the minimum lease TTL 1 s.
inline ServerOptions fastMemberOptions(const std::filesystem::path& dir) {
  ServerOptions o = defaultServerOptions();
  o.dataDir = dir.string();
  o.advertisePeerUrls = {"http://localhost:2380"};
  o.advertiseClientUrls = {"http://localhost:2379"};
  o.initialCluster = {{"default", "http://localhost:2380"}};
  // No peer listener: in-process members talk through the test's network
  // (or to nobody), and test processes run side by side under ctest, where
  // the flag table's default (localhost:2380) would be bound by only one.
  o.listenPeerUrls.clear();
  o.heartbeatIntervalMs = 10;
  o.electionTimeoutMs = 100;
  return o;
}

// Settings with no flags at all: the member tests' plugins read none.
class NoSettings final : public Settings {
 public:
  std::optional<std::string> raw(std::string_view) const override { return std::nullopt; }
  Status boolean(std::string_view flag, bool*) const override { return unknown(flag); }
  Status uint64(std::string_view flag, uint64_t*) const override { return unknown(flag); }
  Status int64(std::string_view flag, int64_t*) const override { return unknown(flag); }
  Status duration(std::string_view flag, std::chrono::nanoseconds*) const override {
    return unknown(flag);
  }
  Status parseDuration(std::string_view, std::chrono::nanoseconds*) const override {
    return Status(StatusCode::InvalidArgument, "no parsers in the member tests");
  }
  Status urls(std::string_view flag, std::vector<Url>*) const override { return unknown(flag); }
  Status list(std::string_view flag, std::vector<std::string>*) const override {
    return unknown(flag);
  }

 private:
  static Status unknown(std::string_view flag) {
    return Status(StatusCode::NotFound, "unknown flag --" + std::string(flag));
  }
};

// A sealed registry nothing declared into: the member as it runs without
// service plugins.
struct EmptyRegistry {
  NoSettings settings;
  plugin::PluginRegistry registry;
  explicit EmptyRegistry(Logger& logger) : registry(settings, logger) { registry.seal(); }
};

inline std::unique_ptr<storage::Backend> makeBackend(const std::string& name) {
  if (name == "memory") return std::make_unique<storage::MemoryBackend>();
  return std::make_unique<storage::WiredTigerBackend>();
}

// Runs an asynchronous service call and waits for its Done.
template <typename Response, typename Call>
std::pair<Status, Response> call(Call&& c) {
  std::promise<std::pair<Status, Response>> p;
  auto f = p.get_future();
  c([&p](Status st, Response&& r) { p.set_value({st, std::move(r)}); });
  return f.get();
}

}  // namespace cairn::server::testing
