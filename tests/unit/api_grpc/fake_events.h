// Fakes the kernel's Events: subscriptions that never fire.
#pragma once

#include <memory>

#include "cairn/host.h"

namespace cairn::api::test {

// Subscriptions are accepted and never fire: api-grpc follows no events.
class FakeEvents final : public Events {
 public:
  std::unique_ptr<Subscription> subscribeApplied(AppliedFn) override {
    return std::make_unique<Subscription>();
  }
  std::unique_ptr<Subscription> subscribeLeadership(LeadershipFn fn) override {
    Leadership self;
    self.leaderId = 10276657743932975437ull;
    self.term = 2;
    self.isLeader = true;
    fn(self);
    return std::make_unique<Subscription>();
  }
};

}  // namespace cairn::api::test
