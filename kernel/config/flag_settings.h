// FlagSettings: the SDK's typed Settings over the member's parsed flags.
//
// Values were validated when the configuration was parsed; this re-reads the
// normalised text of `Config::raw` with the same parsers (go_values, url), so
// plugins get typed values without a parser of their own. Immutable after
// construction; thread-safe.
#pragma once

#include <map>
#include <string>

#include "cairn/settings.h"

namespace cairn::config {

class FlagSettings final : public Settings {
 public:
  // `raw`: every flag by etcd name -> effective value (Config::raw).
  explicit FlagSettings(const std::map<std::string, std::string>& raw)
      : raw_(raw.begin(), raw.end()) {}

  std::optional<std::string> raw(std::string_view flag) const override;
  Status boolean(std::string_view flag, bool* out) const override;
  Status uint64(std::string_view flag, uint64_t* out) const override;
  Status int64(std::string_view flag, int64_t* out) const override;
  Status duration(std::string_view flag, std::chrono::nanoseconds* out) const override;
  Status parseDuration(std::string_view text, std::chrono::nanoseconds* out) const override;
  Status urls(std::string_view flag, std::vector<Url>* out) const override;
  Status list(std::string_view flag, std::vector<std::string>* out) const override;

 private:
  Status text(std::string_view flag, const std::string** out) const;

  const std::map<std::string, std::string, std::less<>> raw_;
};

}  // namespace cairn::config
