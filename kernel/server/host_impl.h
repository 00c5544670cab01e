// HostImpl: the kernel's Host, handed to API and extension plugins.
#pragma once

#include <map>
#include <string>

#include "cairn/host.h"
#include "kv_server.h"
#include "lease_server.h"
#include "watch_server.h"

namespace cairn::server {

class HostImpl final : public Host {
 public:
  // `flags`: every flag by etcd name -> effective value; must outlive this.
  HostImpl(Server& server, Logger& logger, const std::map<std::string, std::string>& flags)
      : kv_(server), lease_(server), watch_(server), logger_(logger), flags_(flags) {}

  KvService& kv() override { return kv_; }
  LeaseService& lease() override { return lease_; }
  WatchService& watch() override { return watch_; }
  Logger& logger() override { return logger_; }
  std::optional<std::string> flag(std::string_view name) const override {
    auto it = flags_.find(std::string(name));
    if (it == flags_.end()) return std::nullopt;
    return it->second;
  }

 private:
  KvServer kv_;
  LeaseServer lease_;
  WatchServer watch_;
  Logger& logger_;
  const std::map<std::string, std::string>& flags_;
};

}  // namespace cairn::server
