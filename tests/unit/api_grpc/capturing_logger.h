// Fakes the kernel's Logger: keeps every line for the test to read.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/host.h"

namespace cairn::api::test {

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view msg, std::string_view fields) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::string(msg) + " {" + std::string(fields) + "}");
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
};

}  // namespace cairn::api::test
