// Fakes the kernel's Logger: drops every line.
#pragma once

#include <string_view>

#include "cairn/host.h"

namespace cairn::concurrency::test {

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view, std::string_view) override {}
};

}  // namespace cairn::concurrency::test
