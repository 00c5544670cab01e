// Fakes the kernel's ConnectionRegistry: an optional "h2" handler, listeners unclaimed by default.
#pragma once

#include <string_view>

#include "cairn/host.h"

namespace cairn::api::test {

// By default no listener owner and no connection handlers (api-grpc binds
// its URLs); tests of api-http set an "h2" handler. Set before start.
class FakeConnections final : public ConnectionRegistry {
 public:
  const ConnectionHandler* connectionHandler(std::string_view protocol) const override {
    return protocol == "h2" && h2 ? &h2 : nullptr;
  }
  bool listenersClaimed() const override { return claimed; }

  ConnectionHandler h2;
  bool claimed = false;
};

}  // namespace cairn::api::test
