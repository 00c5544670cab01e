// Fakes the member's Settings: the kernel's flag table and parsers, with per-test flags.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/host.h"
#include "config/flag_spec.h"
#include "config/go_values.h"
#include "config/url.h"

namespace cairn::test {

// Spelled out at call sites whose only flag is two string literals: a bare
// {{"a", "b"}} would also read as a map built from a [const char*) range.
using Flags = std::map<std::string, std::string>;

// The member's settings as the kernel offers them: every flag of the
// kernel's flag table with its default, `flags` overriding, read with the
// kernel's own parsers (so the defaults are etcd's, from one place).
class FakeSettings final : public Settings {
 public:
  explicit FakeSettings(Flags flags) : flags_(std::move(flags)) {}

  std::optional<std::string> raw(std::string_view flag) const override {
    const config::FlagSpec* spec = config::findFlag(flag);
    if (spec == nullptr) return std::nullopt;
    if (auto it = flags_.find(std::string(flag)); it != flags_.end()) return it->second;
    return std::string(spec->defaultValue);
  }
  Status boolean(std::string_view flag, bool* out) const override {
    return read(flag, {config::FlagKind::Bool},
                [&](const std::string& text) { return config::parseGoBool(text, out); });
  }
  Status uint64(std::string_view flag, uint64_t* out) const override {
    return read(
        flag, {config::FlagKind::Uint, config::FlagKind::Uint32}, [&](const std::string& text) {
          const int bits = config::findFlag(flag)->kind == config::FlagKind::Uint32 ? 32 : 64;
          return config::parseGoUint(text, bits, out);
        });
  }
  Status int64(std::string_view flag, int64_t* out) const override {
    return read(flag, {config::FlagKind::Int},
                [&](const std::string& text) { return config::parseGoInt(text, 64, out); });
  }
  Status duration(std::string_view flag, std::chrono::nanoseconds* out) const override {
    return read(flag, {config::FlagKind::Duration}, [&](const std::string& text) {
      int64_t nanos = 0;
      Status parsed = config::parseGoDuration(text, &nanos);
      *out = std::chrono::nanoseconds(nanos);
      return parsed;
    });
  }
  Status parseDuration(std::string_view text, std::chrono::nanoseconds* out) const override {
    int64_t nanos = 0;
    Status parsed = config::parseGoDuration(text, &nanos);
    if (parsed) *out = std::chrono::nanoseconds(nanos);
    return parsed;
  }
  Status urls(std::string_view flag, std::vector<Url>* out) const override {
    return read(flag, {config::FlagKind::Urls}, [&](const std::string& text) {
      std::vector<config::Url> parsed;
      out->clear();
      // As the kernel's FlagSettings: an empty list (an unset
      // --listen-metrics-urls) is valid.
      if (text.empty()) return Status::ok();
      Status listed = config::parseUrlList(text, &parsed);
      for (const config::Url& u : parsed) out->push_back(Url{u.scheme, u.host, u.port, u.raw});
      return listed;
    });
  }
  Status list(std::string_view flag, std::vector<std::string>* out) const override {
    return read(
        flag,
        {config::FlagKind::Strings, config::FlagKind::UniqueStrings, config::FlagKind::PluginList},
        [&](const std::string& text) {
          out->clear();
          size_t start = 0;
          while (start <= text.size() && !text.empty()) {
            const size_t comma = text.find(',', start);
            out->push_back(text.substr(start, comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
          }
          return Status::ok();
        });
  }

 private:
  template <typename Parse>
  Status read(std::string_view flag, std::initializer_list<config::FlagKind> kinds,
              Parse parse) const {
    const config::FlagSpec* spec = config::findFlag(flag);
    if (spec == nullptr) {
      return Status(StatusCode::NotFound, "unknown flag --" + std::string(flag));
    }
    if (std::find(kinds.begin(), kinds.end(), spec->kind) == kinds.end()) {
      return Status(StatusCode::InvalidArgument,
                    "flag --" + std::string(flag) + " is not read as this type");
    }
    const std::string text = *raw(flag);
    if (Status parsed = parse(text); !parsed) {
      return Status(StatusCode::InvalidArgument, "invalid value \"" + text + "\" for flag -" +
                                                     std::string(flag) + ": " + parsed.message());
    }
    return Status::ok();
  }

  Flags flags_;
};

}  // namespace cairn::test
