// Fakes the kernel's ServiceRegistry: plugin services a test adds.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cairn/host.h"

namespace cairn::api::test {

// Plugin services, added by the test before the server starts.
class FakeServiceRegistry final : public ServiceRegistry {
 public:
  void add(ServiceDef def) {
    std::string name = def.name;
    services_[name] = std::move(def);
  }
  const ServiceDef* find(const std::string& name) const override {
    auto it = services_.find(name);
    return it == services_.end() ? nullptr : &it->second;
  }
  std::vector<const ServiceDef*> all() const override {
    std::vector<const ServiceDef*> out;
    for (const auto& [_, def] : services_) out.push_back(&def);
    return out;
  }

 private:
  std::map<std::string, ServiceDef> services_;
};

}  // namespace cairn::api::test
