// Fakes a storage read transaction over no plugin buckets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/host.h"

namespace cairn::api::test {

class EmptyReadTxn final : public storage::ReadTxn {
 public:
  std::optional<std::string> get(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  Status range(std::string_view, std::string_view, std::string_view, std::size_t, bool,
               const storage::KeyValueVisitor&) override {
    return Status::ok();
  }
};

}  // namespace cairn::api::test
